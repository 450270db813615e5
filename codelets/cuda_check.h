/* cuda_check.h: checkers for CUDA runtime and cuBLAS calls. Codelets return void, so a failing
 * call prints the vendor's message with file and line and aborts (never assert: NDEBUG would
 * remove the call). Usable from C and CUDA; include only where the CUDA headers are available. */
#ifndef HETSCHED_CUDA_CHECK_H
#define HETSCHED_CUDA_CHECK_H

#include <stdio.h>
#include <stdlib.h>

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

#endif
