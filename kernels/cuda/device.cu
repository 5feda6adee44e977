#include "flopwise/kernels/cuda/device.hpp"

#include <algorithm>
#include <utility>

#include "cuda_check.cuh"

namespace flopwise::kernels::cuda {

DeviceStatus device_status() {
    static const DeviceStatus status = [] {
        DeviceStatus s;
        int count = 0;
        const cudaError_t error = cudaGetDeviceCount(&count);
        if (error != cudaSuccess) {
            s.reason = std::string("no usable CUDA driver or device (cudaGetDeviceCount: ") + cudaGetErrorString(error) + ")";
            return s;
        }
        if (count == 0) {
            s.reason = "no CUDA device is present";
            return s;
        }
        cudaDeviceProp properties{};
        if (cudaGetDeviceProperties(&properties, 0) != cudaSuccess) {
            s.reason = "the properties of CUDA device 0 cannot be read";
            return s;
        }
        s.usable = true;
        s.name = properties.name;
        return s;
    }();
    return status;
}

void require_device(std::string_view what) {
    const DeviceStatus status = device_status();
    if (!status.usable) throw Error(std::string(what) + " needs a CUDA device: " + status.reason);
}

DeviceBuffer::DeviceBuffer(size_t bytes) { reserve(bytes); }

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
        if (data_ != nullptr) cudaFree(data_);
        data_ = std::exchange(other.data_, nullptr);
        bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
}

DeviceBuffer::~DeviceBuffer() {
    if (data_ != nullptr) cudaFree(data_);
}

void DeviceBuffer::reserve(size_t bytes) {
    if (bytes <= bytes_) return;
    require_device("device memory");
    if (data_ != nullptr) check(cudaFree(data_), "cudaFree");
    data_ = nullptr;
    bytes_ = 0;
    check(cudaMalloc(&data_, bytes), ("cudaMalloc of " + std::to_string(bytes) + " bytes").c_str());
    bytes_ = bytes;
}

void DeviceBuffer::upload(const void* host, size_t bytes, size_t offset) {
    if (offset + bytes > bytes_) throw Error("upload of " + std::to_string(bytes) + " bytes overruns a device buffer of " + std::to_string(bytes_));
    if (bytes > 0) check(cudaMemcpy(static_cast<char*>(data_) + offset, host, bytes, cudaMemcpyHostToDevice), "upload");
}

void DeviceBuffer::download(void* host, size_t bytes, size_t offset) const {
    if (offset + bytes > bytes_) throw Error("download of " + std::to_string(bytes) + " bytes overruns a device buffer of " + std::to_string(bytes_));
    if (bytes > 0) check(cudaMemcpy(host, static_cast<const char*>(data_) + offset, bytes, cudaMemcpyDeviceToHost), "download");
}

void copy_on_device(void* dst, const void* src, size_t bytes) {
    if (bytes > 0) check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, 0), "device copy");
}

void synchronize() { check(cudaDeviceSynchronize(), "kernel"); }

double time_on_device(const std::function<void()>& call, bool flush_l2) {
    require_device("device timing");
    static DeviceBuffer scratch = [] {
        int l2 = 0;
        check(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, 0), "L2 size");
        return DeviceBuffer(2 * static_cast<size_t>(std::max(l2, 1 << 20)));
    }();
    struct Events {
        cudaEvent_t start = nullptr, stop = nullptr;
        Events() {
            check(cudaEventCreate(&start), "cudaEventCreate");
            check(cudaEventCreate(&stop), "cudaEventCreate");
        }
        ~Events() {
            cudaEventDestroy(start);
            cudaEventDestroy(stop);
        }
    };
    static Events events;
    if (flush_l2) check(cudaMemsetAsync(scratch.data(), 0, scratch.size(), 0), "L2 flush");
    check(cudaEventRecord(events.start, 0), "cudaEventRecord");
    call();
    check(cudaEventRecord(events.stop, 0), "cudaEventRecord");
    check(cudaEventSynchronize(events.stop), "timed kernels");
    float milliseconds = 0.0f;
    check(cudaEventElapsedTime(&milliseconds, events.start, events.stop), "cudaEventElapsedTime");
    return static_cast<double>(milliseconds) * 1e-3;
}

}  // namespace flopwise::kernels::cuda
