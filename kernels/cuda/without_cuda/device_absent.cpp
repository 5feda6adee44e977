// The CUDA kernels' entry points in a build configured without nvcc: the device is reported as
// missing, with the reason, and every call that needs it throws that reason.
#include "flopwise/error.hpp"
#include "flopwise/kernels/cuda/attention.hpp"
#include "flopwise/kernels/cuda/calibration.hpp"
#include "flopwise/kernels/cuda/device.hpp"
#include "flopwise/kernels/cuda/elementwise.hpp"
#include "flopwise/kernels/cuda/matmul.hpp"

namespace flopwise::kernels::cuda {

DeviceStatus device_status() { return {false, "", "this build of flopwise has no CUDA (nvcc was not found when it was configured)"}; }

void require_device(std::string_view what) { throw Error(std::string(what) + " needs a CUDA device: " + device_status().reason); }

DeviceBuffer::DeviceBuffer(size_t bytes) { reserve(bytes); }
DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept : data_(other.data_), bytes_(other.bytes_) {}
DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&&) noexcept { return *this; }
DeviceBuffer::~DeviceBuffer() = default;
void DeviceBuffer::reserve(size_t bytes) {
    if (bytes > bytes_) require_device("device memory");
}
void DeviceBuffer::upload(const void*, size_t, size_t) { require_device("device memory"); }
void DeviceBuffer::download(void*, size_t, size_t) const { require_device("device memory"); }
void copy_on_device(void*, const void*, size_t) { require_device("device copy"); }
void synchronize() {}
double time_on_device(const std::function<void()>&, bool) {
    require_device("device timing");
    return 0.0;
}

uint64_t matmul(const WeightView&, const float*, int64_t, int64_t, float*, int64_t) {
    require_device("CUDA matmul");
    return 0;
}
void dequantize(const WeightView&, float*) { require_device("CUDA dequantize"); }
uint64_t cublas_matmul(const float*, int64_t, int64_t, const float*, int64_t, int64_t, float*, int64_t) {
    require_device("cuBLAS matmul");
    return 0;
}

void rms_norm(const float*, int64_t, const float*, float*, int64_t, int64_t, int64_t, float) { require_device("CUDA rms_norm"); }
void rope(float*, int64_t, int64_t, int32_t, int32_t, int32_t, const float*, RopeLayout) { require_device("CUDA rope"); }
void gated_activation(Gate, float*, const float*, int64_t) { require_device("CUDA gated activation"); }
void add(float*, const float*, int64_t) { require_device("CUDA add"); }
void add_bias(float*, int64_t, int64_t, const float*) { require_device("CUDA add_bias"); }
void log_softmax_stats(const float*, int64_t, int64_t, double*, int64_t*) { require_device("CUDA log_softmax_stats"); }

uint64_t attention(const AttentionShape&, const float*, int64_t, const int32_t*, int64_t, const float*, const float*, int64_t,
                   int64_t, float*, int64_t, const int32_t*) {
    require_device("CUDA attention");
    return 0;
}

uint64_t fma_peak(float*) {
    require_device("CUDA calibration");
    return 0;
}
void stream_read(const float*, int64_t, float*) { require_device("CUDA calibration"); }

}  // namespace flopwise::kernels::cuda
