#pragma once
#include <stdexcept>
#include <string>

namespace flopwise {

// Every user-facing failure (bad file, bad flag, bad request) is reported as an Error whose
// message names the thing at fault (file, tensor, key, field, request) and what is wrong with it.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace flopwise
