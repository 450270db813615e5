# HETSCHED_CHECK_CUDA
# --with-cuda[=DIR]: find nvcc (on PATH, in DIR/bin, or in /usr/local/cuda/bin), check that it
# compiles a kernel, and set NVCC, NVCC_VERSION, CUDA_CFLAGS, CUDA_LIBS and have_nvcc.
# No autoconf-archive macro covers CUDA, hence this small check.
AC_DEFUN([HETSCHED_CHECK_CUDA], [
  AC_ARG_WITH([cuda],
    [AS_HELP_STRING([--with-cuda@<:@=DIR@:>@], [CUDA toolkit (default: auto, nvcc on PATH or in /usr/local/cuda)])],
    [], [with_cuda=check])
  AC_ARG_VAR([NVCC], [CUDA compiler])
  AC_ARG_VAR([NVCCFLAGS], [flags for the CUDA compiler])
  have_nvcc=no
  AS_IF([test "x$with_cuda" != xno], [
    hs_cuda_path=$PATH:/usr/local/cuda/bin
    AS_IF([test "x$with_cuda" != xyes && test "x$with_cuda" != xcheck], [hs_cuda_path=$with_cuda/bin])
    AS_IF([test -z "$NVCC"], [AC_PATH_PROG([NVCC], [nvcc], [], [$hs_cuda_path])])
    AS_IF([test -n "$NVCC"], [
      CUDA_HOME_DIR=`AS_DIRNAME([\`AS_DIRNAME([$NVCC])\`])`
      AC_MSG_CHECKING([whether $NVCC compiles a kernel])
      cat > conftest.cu <<'EOCU'
__global__ void k(float *x) { x@<:@threadIdx.x@:>@ = 1.0f; }
int main(void) { k<<<1, 1>>>(0); return 0; }
EOCU
      AS_IF([$NVCC -c conftest.cu -o conftest.$OBJEXT >&AS_MESSAGE_LOG_FD 2>&1],
        [have_nvcc=yes], [have_nvcc=no])
      rm -f conftest.cu conftest.$OBJEXT
      AC_MSG_RESULT([$have_nvcc])
      NVCC_VERSION=`$NVCC --version | $SED -n 's/.*release \(@<:@0-9.@:>@*\).*/CUDA \1/p'`
      CUDA_CFLAGS="-isystem $CUDA_HOME_DIR/include"
      hs_cuda_libdir=$CUDA_HOME_DIR/lib64
      AS_IF([test -d "$hs_cuda_libdir"], [], [hs_cuda_libdir=$CUDA_HOME_DIR/lib])
      CUDA_LIBS="-L$hs_cuda_libdir -Wl,-rpath,$hs_cuda_libdir -lcublas -lcudart -lstdc++"
    ])
  ])
  AC_SUBST([CUDA_CFLAGS])
  AC_SUBST([CUDA_LIBS])
  AC_SUBST([NVCC_VERSION])
])
