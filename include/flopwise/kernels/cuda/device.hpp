#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace flopwise::kernels::cuda {

// Whether this process can run the CUDA kernels: built with CUDA, a driver, and a device. When it
// cannot, `reason` says which of these is missing (GPU tests print it when they skip).
struct DeviceStatus {
    bool usable = false;
    std::string name;    // the device's name when usable
    std::string reason;  // why not, when not usable
};
DeviceStatus device_status();
// Throws flopwise::Error naming `what` and the reason when no device is usable.
void require_device(std::string_view what);

// Device memory owned by one object. Copies are synchronous; kernels run on the default stream,
// in order, so a download sees every kernel launched before it.
class DeviceBuffer {
public:
    DeviceBuffer() = default;
    explicit DeviceBuffer(size_t bytes);
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    DeviceBuffer(DeviceBuffer&& other) noexcept;
    DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
    ~DeviceBuffer();

    size_t size() const { return bytes_; }
    void* data() const { return data_; }
    template <typename T>
    T* as() const { return static_cast<T*>(data_); }
    // Reallocates when smaller than `bytes` (the contents are then lost).
    void reserve(size_t bytes);
    void upload(const void* host, size_t bytes, size_t offset = 0);
    void download(void* host, size_t bytes, size_t offset = 0) const;

private:
    void* data_ = nullptr;
    size_t bytes_ = 0;
};

// Device-to-device copy of `bytes` (kernel order, like a launch).
void copy_on_device(void* dst, const void* src, size_t bytes);
// Waits for every launched kernel; throws Error with the first asynchronous failure.
void synchronize();

// Benchmarks: seconds `call` takes on the device, between two events recorded around it, after
// the L2 cache has been overwritten so that no input is served from it (when flush_l2 is set).
double time_on_device(const std::function<void()>& call, bool flush_l2);

}  // namespace flopwise::kernels::cuda
