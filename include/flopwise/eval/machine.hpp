#pragma once
#include <nlohmann/json.hpp>

namespace flopwise::eval {

// Where a run happened: CPU model, logical cores, memory, operating system, host name.
nlohmann::ordered_json machine_info();
// How the binary was built: compiler, optimization, the kernel instruction set in use.
nlohmann::ordered_json build_info();

}  // namespace flopwise::eval
