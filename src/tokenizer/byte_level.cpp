#include "byte_level.hpp"

#include "utf8.hpp"

namespace flopwise::byte_level {
namespace {

bool stands_for_itself(int byte) {
    return (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE && byte <= 0xFF);
}

struct Tables {
    std::array<char32_t, 256> to_code_point{};
    // Every mapped code point is below U+0144, so a flat reverse table suffices.
    std::array<int16_t, 0x200> to_byte{};

    Tables() {
        to_byte.fill(-1);
        char32_t next_free = 0x100;
        for (int byte = 0; byte < 256; ++byte) {
            const char32_t cp = stands_for_itself(byte) ? static_cast<char32_t>(byte) : next_free++;
            to_code_point[static_cast<size_t>(byte)] = cp;
            to_byte[cp] = static_cast<int16_t>(byte);
        }
    }
};

const Tables& tables() {
    static const Tables instance;
    return instance;
}

}  // namespace

char32_t byte_to_code_point(uint8_t byte) { return tables().to_code_point[byte]; }

int code_point_to_byte(char32_t cp) { return cp < tables().to_byte.size() ? tables().to_byte[cp] : -1; }

std::string encode(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char c : bytes) utf8::append(out, byte_to_code_point(static_cast<uint8_t>(c)));
    return out;
}

std::string decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        const utf8::Decoded d = utf8::decode(text, pos);
        const int byte = d.valid ? code_point_to_byte(d.code_point) : -1;
        if (byte >= 0) {
            out += static_cast<char>(byte);
        } else {
            out.append(text.substr(pos, d.length));
        }
        pos += d.length;
    }
    return out;
}

}  // namespace flopwise::byte_level
