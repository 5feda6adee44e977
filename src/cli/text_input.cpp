#include "text_input.hpp"

#include <fstream>
#include <sstream>

#include "flopwise/error.hpp"

namespace flopwise::cli {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot open file for reading");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) throw Error(path + ": read error");
    return buffer.str();
}

std::string read_text_input(Args& args, const std::string& text_flag, const std::string& file_flag) {
    auto text = args.value(text_flag);
    auto file = args.value(file_flag);
    if (text && file) throw Error("flopwise " + args.command() + ": give either --" + text_flag + " or --" + file_flag + ", not both");
    if (file) return read_file(*file);
    if (text) return *text;
    throw Error("flopwise " + args.command() + ": missing --" + text_flag + " or --" + file_flag);
}

}  // namespace flopwise::cli
