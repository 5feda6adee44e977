#include "flopwise/eval/machine.hpp"

#include <fstream>
#include <string>
#include <sys/utsname.h>
#include <thread>
#include <unistd.h>

#include "flopwise/kernels/isa.hpp"

namespace flopwise::eval {

namespace {

// The value of the first "key : value" line of a /proc file, or "".
std::string proc_field(const std::string& file, const std::string& key) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key, 0) != 0) continue;
        const size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        const size_t begin = line.find_first_not_of(" \t", colon + 1);
        return begin == std::string::npos ? "" : line.substr(begin);
    }
    return "";
}

}  // namespace

nlohmann::ordered_json machine_info() {
    nlohmann::ordered_json j;
    j["cpu"] = proc_field("/proc/cpuinfo", "model name");
    j["logical_cores"] = std::thread::hardware_concurrency();
    j["memory"] = proc_field("/proc/meminfo", "MemTotal");
    utsname u{};
    if (uname(&u) == 0) {
        j["os"] = std::string(u.sysname) + " " + u.release;
        j["arch"] = u.machine;
        j["host"] = u.nodename;
    }
    return j;
}

nlohmann::ordered_json build_info() {
    nlohmann::ordered_json j;
#if defined(__clang__)
    j["compiler"] = std::string("clang ") + __clang_version__;
#else
    j["compiler"] = std::string("gcc ") + __VERSION__;
#endif
#ifdef NDEBUG
    j["optimized"] = true;
#else
    j["optimized"] = false;
#endif
    j["kernel_isa"] = std::string(kernels::name(kernels::active_isa()));
    return j;
}

}  // namespace flopwise::eval
