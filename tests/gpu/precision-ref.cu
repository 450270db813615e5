/* precision-ref.cu: the device-resident references of issue 19, for tests/gpu/measure-precision.sh.
 *
 *   precision-ref N
 *
 * On one GPU, data already on it, N x N x N (y = x w^T, called as linear.c and linear16_cuda.c
 * call cuBLAS: gemm(T, N, n, m, k, w, x, y), column-major view of row-major matrices):
 *   gemm tf32 N tflops T ms M     cublasGemmEx, FP32 x, w, y, CUBLAS_COMPUTE_32F_FAST_TF32
 *   gemm bf16 N tflops T ms M     cublasGemmEx, bfloat16 x, w, y, CUBLAS_COMPUTE_32F
 * and, built with -DWITH_HETSCHED (linked with hetsched's libhetsched_cudakernels.a), hetsched's
 * rand kernel alone through the launcher the rand codelet calls, writing an N x N tile:
 *   rand uniform f32 N gbs G      (bytes written per second; likewise normal, and bf16)
 * Each figure is the median of 10 timed calls (CUDA events) after 2 untimed ones.
 * Exit: 0; 1 a CUDA or cuBLAS call failed; 2 usage; 77 no CUDA device. */
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#ifdef WITH_HETSCHED
#include "cuda_kernels.h"
#endif

#define CK(x)                                                                                      \
	do {                                                                                       \
		cudaError_t e_ = (x);                                                              \
		if (e_ != cudaSuccess) {                                                           \
			fprintf(stderr, "%s: %s\n", #x, cudaGetErrorString(e_));                   \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)
#define CB(x)                                                                                      \
	do {                                                                                       \
		cublasStatus_t s_ = (x);                                                           \
		if (s_ != CUBLAS_STATUS_SUCCESS) {                                                 \
			fprintf(stderr, "%s: %s\n", #x, cublasGetStatusString(s_));                \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

template <class F> static float median_ms(F f, int reps, cudaStream_t st)
{
	cudaEvent_t a, b;
	std::vector<float> t;

	CK(cudaEventCreate(&a));
	CK(cudaEventCreate(&b));
	f();
	f();
	CK(cudaStreamSynchronize(st));
	for (int i = 0; i < reps; i++) {
		float ms;

		CK(cudaEventRecord(a, st));
		f();
		CK(cudaEventRecord(b, st));
		CK(cudaEventSynchronize(b));
		CK(cudaEventElapsedTime(&ms, a, b));
		t.push_back(ms);
	}
	CK(cudaEventDestroy(a));
	CK(cudaEventDestroy(b));
	std::sort(t.begin(), t.end());
	return t[t.size() / 2];
}

/* Values in [-1, 1) from a hash of the index: not zeros, which would flatter the GEMM's power. */
template <class T> static __global__ void fill(T *p, size_t n, unsigned seed)
{
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	     i += (size_t)gridDim.x * blockDim.x) {
		unsigned h = (unsigned)i * 2654435761u ^ seed;

		h ^= h >> 15;
		h *= 2246822519u;
		h ^= h >> 13;
		p[i] = (T)((float)(h >> 8) * (1.0f / 8388608.0f) - 1.0f);
	}
}

int main(int argc, char **argv)
{
	int ndev = 0;

	if (argc != 2 || atoi(argv[1]) <= 0) {
		fprintf(stderr, "usage: %s N\n", argv[0]);
		return 2;
	}
	if (cudaGetDeviceCount(&ndev) != cudaSuccess || ndev == 0) {
		printf("devices 0\n");
		return 77;
	}
	const int n = atoi(argv[1]);
	const size_t nn = (size_t)n * n;
	const double flop = 2.0 * n * (double)n * n;
	cudaDeviceProp p;
	cudaStream_t st;
	cublasHandle_t h;
	float ms;

	CK(cudaGetDeviceProperties(&p, 0));
	printf("device %s|%d|%.1f|%d.%d\n", p.name, p.multiProcessorCount,
	       p.totalGlobalMem / 1073741824.0, p.major, p.minor);
	CK(cudaStreamCreate(&st));
	CB(cublasCreate(&h));
	CB(cublasSetStream(h, st));
	{
		float *x, *w, *y;
		const float one = 1.0f, zero = 0.0f;

		CK(cudaMalloc(&x, nn * sizeof(float)));
		CK(cudaMalloc(&w, nn * sizeof(float)));
		CK(cudaMalloc(&y, nn * sizeof(float)));
		fill<<<1024, 256, 0, st>>>(x, nn, 1u);
		fill<<<1024, 256, 0, st>>>(w, nn, 2u);
		ms = median_ms(
		    [&] {
			    CB(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, n, n, n, &one, w,
			                    CUDA_R_32F, n, x, CUDA_R_32F, n, &zero, y, CUDA_R_32F,
			                    n, CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT));
		    },
		    10, st);
		printf("gemm tf32 %d tflops %.1f ms %.3f\n", n, flop / (ms * 1e-3) * 1e-12, ms);
#ifdef WITH_HETSCHED
		/* rand into the FP32 tile y, then into a bfloat16 one (x's memory) */
		const char *dist[2] = {"uniform", "normal"};
		for (uint32_t d = 0; d < 2; d++) {
			ms = median_ms(
			    [&] {
				    hetsched__rand_cuda_launch(y, HETSCHED__CUDA_F32, n, n, n, 3, 0,
				                               d, 0.0f, 1.0f, 0, 0, st);
			    },
			    10, st);
			printf("rand %s f32 %d gbs %.1f\n", dist[d], n,
			       nn * sizeof(float) / (ms * 1e-3) * 1e-9);
			ms = median_ms(
			    [&] {
				    hetsched__rand_cuda_launch(x, HETSCHED__CUDA_BF16, n, n, n, 3,
				                               0, d, 0.0f, 1.0f, 0, 0, st);
			    },
			    10, st);
			printf("rand %s bf16 %d gbs %.1f\n", dist[d], n,
			       nn * sizeof(uint16_t) / (ms * 1e-3) * 1e-9);
		}
#endif
		CK(cudaFree(x));
		CK(cudaFree(w));
		CK(cudaFree(y));
	}
	{
		__nv_bfloat16 *x, *w, *y;
		const float one = 1.0f, zero = 0.0f;

		CK(cudaMalloc(&x, nn * sizeof(*x)));
		CK(cudaMalloc(&w, nn * sizeof(*w)));
		CK(cudaMalloc(&y, nn * sizeof(*y)));
		fill<<<1024, 256, 0, st>>>(x, nn, 1u);
		fill<<<1024, 256, 0, st>>>(w, nn, 2u);
		ms = median_ms(
		    [&] {
			    CB(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, n, n, n, &one, w,
			                    CUDA_R_16BF, n, x, CUDA_R_16BF, n, &zero, y,
			                    CUDA_R_16BF, n, CUBLAS_COMPUTE_32F,
			                    CUBLAS_GEMM_DEFAULT));
		    },
		    10, st);
		printf("gemm bf16 %d tflops %.1f ms %.3f\n", n, flop / (ms * 1e-3) * 1e-12, ms);
		CK(cudaFree(x));
		CK(cudaFree(w));
		CK(cudaFree(y));
	}
	CB(cublasDestroy(h));
	CK(cudaStreamDestroy(st));
	return 0;
}
