/* status_check.h: the checkers of CUDA runtime, cuBLAS and OpenCL calls, for every variant of
 * every codelet. Codelets return void, so a failing call prints the vendor's message with file
 * and line and aborts (never assert: NDEBUG would remove the call). Usable from C and CUDA.
 *
 * Each vendor's part is compiled only where its headers are usable:
 * - CUDA and cuBLAS: in CUDA sources (__CUDACC__), or where HETSCHED_STATUS_CUDA is defined
 *   before this header (C files built with the CUDA toolkit's headers);
 * - OpenCL: where HETSCHED_STATUS_OPENCL is defined before this header (it uses StarPU's
 *   starpu_opencl_error_string).
 * Each part has its own guard, so that a file may ask for both.
 */
#include <stdio.h>
#include <stdlib.h>

#if (defined(__CUDACC__) || defined(HETSCHED_STATUS_CUDA)) && !defined(HETSCHED_STATUS_CHECK_CUDA_H)
#define HETSCHED_STATUS_CHECK_CUDA_H

#include <cublas_v2.h>
#include <cuda_runtime.h>

#define HETSCHED_CUDA_CHECK(expr)                                                                  \
	do {                                                                                       \
		cudaError_t hetsched_cuda_status_ = (expr);                                        \
		if (hetsched_cuda_status_ != cudaSuccess) {                                        \
			fprintf(stderr, "%s:%d: %s failed: %s: %s\n", __FILE__, __LINE__, #expr,   \
			        cudaGetErrorName(hetsched_cuda_status_),                           \
			        cudaGetErrorString(hetsched_cuda_status_));                        \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define HETSCHED_CUBLAS_CHECK(expr)                                                                \
	do {                                                                                       \
		cublasStatus_t hetsched_cublas_status_ = (expr);                                   \
		if (hetsched_cublas_status_ != CUBLAS_STATUS_SUCCESS) {                            \
			fprintf(stderr, "%s:%d: %s failed: %s: %s\n", __FILE__, __LINE__, #expr,   \
			        cublasGetStatusName(hetsched_cublas_status_),                      \
			        cublasGetStatusString(hetsched_cublas_status_));                   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* After a kernel launch: a bad configuration is reported by cudaGetLastError(). */
#define HETSCHED_CUDA_CHECK_LAUNCH() HETSCHED_CUDA_CHECK(cudaGetLastError())

#endif /* CUDA */

#if defined(HETSCHED_STATUS_OPENCL) && !defined(HETSCHED_STATUS_CHECK_OPENCL_H)
#define HETSCHED_STATUS_CHECK_OPENCL_H

#include <starpu.h>

/* Check an OpenCL status: on failure print OpenCL's name of the error with file and line, then
 * abort. */
#define HETSCHED_CL_CHECK(expr)                                                                    \
	do {                                                                                       \
		cl_int hetsched_cl_status_ = (expr);                                               \
		if (hetsched_cl_status_ != CL_SUCCESS) {                                           \
			fprintf(stderr, "%s:%d: %s failed: %s (%d)\n", __FILE__, __LINE__, #expr,  \
			        starpu_opencl_error_string(hetsched_cl_status_),                   \
			        (int)hetsched_cl_status_);                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif /* OpenCL */
