#pragma once
#include <string>

#include "args.hpp"

namespace flopwise::cli {

// The text a command works on: --text T, or --text-file F (read whole, byte for byte).
std::string read_text_input(Args& args, const std::string& text_flag = "text", const std::string& file_flag = "text-file");
std::string read_file(const std::string& path);

}  // namespace flopwise::cli
