#pragma once
#include <string>
#include <string_view>

namespace flopwise::eval {

// Lower-case hex SHA-256 of bytes in memory: the identity of a request, a task config or a model
// in the request cache and in results.json.
std::string sha256_hex(std::string_view bytes);

}  // namespace flopwise::eval
