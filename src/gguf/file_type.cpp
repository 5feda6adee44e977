#include <array>
#include <string>

#include "flopwise/gguf.hpp"

namespace flopwise::gguf {

std::optional<std::string> file_type_name(const File& file) {
    if (!file.has("general.file_type")) return std::nullopt;
    // Indexes follow the writer's enumeration; gaps are numbers it retired.
    static constexpr std::array<const char*, 39> names = {
        "F32",     "F16",     "Q4_0",    "Q4_1",   "",        "",       "",       "Q8_0",    "Q5_0",   "Q5_1",
        "Q2_K",    "Q3_K_S",  "Q3_K_M",  "Q3_K_L", "Q4_K_S",  "Q4_K_M", "Q5_K_S", "Q5_K_M",  "Q6_K",   "IQ2_XXS",
        "IQ2_XS",  "Q2_K_S",  "IQ3_XS",  "IQ3_XXS", "IQ1_S",  "IQ4_NL", "IQ3_S",  "IQ3_M",   "IQ2_S",  "IQ2_M",
        "IQ4_XS",  "IQ1_M",   "BF16",    "",       "",        "",       "TQ1_0",  "TQ2_0",   ""};
    const uint64_t type = file.get_uint("general.file_type");
    if (type < names.size() && names[type][0] != '\0') return std::string(names[type]);
    std::string unknown = "type ";
    unknown += std::to_string(type);
    return unknown;
}

}  // namespace flopwise::gguf
