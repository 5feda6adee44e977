#pragma once
#include <string>

namespace flopwise {

// Lower-case hex SHA-256 of a file's bytes; throws Error naming the file when it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace flopwise
