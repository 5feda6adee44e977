#include <limits>
#include <optional>

#include "flopwise/error.hpp"
#include "flopwise/gguf.hpp"

// Typed access to metadata values. Integers convert between signed and unsigned when the value
// fits, and floats accept integers, because converters are not consistent about which width or
// signedness they store a hyperparameter in.
namespace flopwise::gguf {
namespace {

std::optional<uint64_t> as_uint(const Value& value) {
    if (const auto* u = std::get_if<uint64_t>(&value.data)) return *u;
    if (const auto* i = std::get_if<int64_t>(&value.data); i && *i >= 0) return static_cast<uint64_t>(*i);
    return std::nullopt;
}

std::optional<int64_t> as_int(const Value& value) {
    if (const auto* i = std::get_if<int64_t>(&value.data)) return *i;
    if (const auto* u = std::get_if<uint64_t>(&value.data);
        u && *u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return static_cast<int64_t>(*u);
    return std::nullopt;
}

std::optional<double> as_float(const Value& value) {
    if (const auto* f = std::get_if<double>(&value.data)) return *f;
    if (const auto* u = std::get_if<uint64_t>(&value.data)) return static_cast<double>(*u);
    if (const auto* i = std::get_if<int64_t>(&value.data)) return static_cast<double>(*i);
    return std::nullopt;
}

std::optional<bool> as_bool(const Value& value) {
    if (const auto* b = std::get_if<bool>(&value.data)) return *b;
    return std::nullopt;
}

std::optional<std::string> as_string_copy(const Value& value) {
    if (const auto* s = std::get_if<std::string>(&value.data)) return *s;
    return std::nullopt;
}

std::string quoted(std::string_view key) { return "metadata key '" + std::string(key) + "'"; }

// Looks the key up and converts it (to an optional or a pointer that is then known to be set), or
// throws naming the key and what was expected.
template <typename Convert>
auto require(const File& file, std::string_view key, std::string_view expected, Convert convert) {
    const Value* value = file.find(key);
    if (!value) throw Error(file.describe(quoted(key) + " is missing"));
    auto converted = convert(*value);
    if (!converted)
        throw Error(file.describe(quoted(key) + " holds " + std::string(name(value->type)) + ", expected " +
                                  std::string(expected)));
    return converted;
}

template <typename Element, typename Convert>
std::vector<Element> require_array(const File& file, std::string_view key, std::string_view expected,
                                   Convert convert) {
    const Array& array = file.get_array(key);
    std::vector<Element> out;
    out.reserve(array.items.size());
    for (size_t i = 0; i < array.items.size(); ++i) {
        auto converted = convert(array.items[i]);
        if (!converted)
            throw Error(file.describe(quoted(key) + " item " + std::to_string(i) + " is " +
                                      std::string(name(array.items[i].type)) + ", expected " + std::string(expected)));
        out.push_back(std::move(*converted));
    }
    return out;
}

}  // namespace

const Value* File::find(std::string_view key) const {
    auto it = metadata_index_.find(std::string(key));
    return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

uint64_t File::get_uint(std::string_view key) const {
    return *require(*this, key, "a non-negative integer", as_uint);
}

int64_t File::get_int(std::string_view key) const { return *require(*this, key, "an integer", as_int); }

double File::get_float(std::string_view key) const { return *require(*this, key, "a number", as_float); }

bool File::get_bool(std::string_view key) const { return *require(*this, key, "a BOOL", as_bool); }

const std::string& File::get_string(std::string_view key) const {
    return *require(*this, key, "a STRING", [](const Value& value) { return std::get_if<std::string>(&value.data); });
}

const Array& File::get_array(std::string_view key) const {
    return *require(*this, key, "an ARRAY", [](const Value& value) { return std::get_if<Array>(&value.data); });
}

std::vector<std::string> File::get_string_array(std::string_view key) const {
    return require_array<std::string>(*this, key, "a STRING", as_string_copy);
}

std::vector<double> File::get_float_array(std::string_view key) const {
    return require_array<double>(*this, key, "a number", as_float);
}

std::vector<int64_t> File::get_int_array(std::string_view key) const {
    return require_array<int64_t>(*this, key, "an integer", as_int);
}

uint64_t File::get_uint(std::string_view key, uint64_t fallback) const { return has(key) ? get_uint(key) : fallback; }

double File::get_float(std::string_view key, double fallback) const { return has(key) ? get_float(key) : fallback; }

bool File::get_bool(std::string_view key, bool fallback) const { return has(key) ? get_bool(key) : fallback; }

std::string File::get_string(std::string_view key, const std::string& fallback) const {
    return has(key) ? get_string(key) : fallback;
}

}  // namespace flopwise::gguf
