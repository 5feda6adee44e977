#include "flopwise/kernels/isa.hpp"

#include <cstdlib>
#include <string>

#include "flopwise/error.hpp"
#include "isa_support.hpp"

namespace flopwise::kernels {
namespace {

// XCR0 bits the OS sets when it saves the SSE, AVX and AVX-512 register state on context switches;
// a CPU may have AVX-512 while the OS (or hypervisor) leaves it disabled.
constexpr unsigned long long kAvxState = 0x6;
constexpr unsigned long long kAvx512State = 0xE0;

__attribute__((target("xsave"))) unsigned long long enabled_register_state() { return __builtin_ia32_xgetbv(0); }

bool cpu_has_avx2() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c") &&
           (enabled_register_state() & kAvxState) == kAvxState;
}

bool cpu_has_avx512() {
    __builtin_cpu_init();
    return cpu_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           (enabled_register_state() & (kAvxState | kAvx512State)) == (kAvxState | kAvx512State);
}

Isa isa_from_environment() {
    const std::vector<Isa> supported = supported_isas();
    const char* requested = std::getenv("FLOPWISE_ISA");
    if (requested == nullptr || *requested == '\0') return supported.back();
    for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512}) {
        if (name(isa) != requested) continue;
        for (Isa available : supported)
            if (available == isa) return isa;
        throw Error("FLOPWISE_ISA=" + std::string(requested) + ": this CPU does not support that instruction set");
    }
    throw Error("FLOPWISE_ISA=" + std::string(requested) + " is not an instruction set path (scalar, avx2, avx512)");
}

}  // namespace

std::string_view name(Isa isa) {
    switch (isa) {
        case Isa::scalar: return "scalar";
        case Isa::avx2: return "avx2";
        case Isa::avx512: return "avx512";
    }
    return "unknown";
}

std::vector<Isa> supported_isas() {
    std::vector<Isa> isas{Isa::scalar};
    if (cpu_has_avx2()) isas.push_back(Isa::avx2);
    if (cpu_has_avx512()) isas.push_back(Isa::avx512);
    return isas;
}

void require_supported(Isa isa, std::string_view kernel) {
    static const std::vector<Isa> supported = supported_isas();
    for (Isa available : supported)
        if (available == isa) return;
    throw Error(std::string(kernel) + ": this CPU cannot run the " + std::string(name(isa)) + " path");
}

Isa active_isa() {
    // Decided once so that every kernel call of the process takes the same path.
    static const Isa isa = isa_from_environment();
    return isa;
}

}  // namespace flopwise::kernels
