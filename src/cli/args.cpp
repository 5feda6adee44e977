#include "args.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "flopwise/error.hpp"

namespace flopwise::cli {

Args::Args(std::string command, std::vector<std::string> words) : command_(std::move(command)) {
    for (auto& w : words) words_.push_back({std::move(w), false});
}

std::optional<size_t> Args::find(const std::string& name) {
    const std::string flag = "--" + name;
    std::optional<size_t> found;
    for (size_t i = 0; i < words_.size(); ++i) {
        const std::string& t = words_[i].text;
        if (t == flag || t.rfind(flag + "=", 0) == 0) {
            if (found) throw Error("flopwise " + command_ + ": flag " + flag + " is given more than once");
            found = i;
        }
    }
    return found;
}

std::optional<std::string> Args::value(const std::string& name) {
    const auto i = find(name);
    if (!i) return std::nullopt;
    Word& w = words_[*i];
    w.used = true;
    const std::string flag = "--" + name;
    if (w.text.size() > flag.size()) return w.text.substr(flag.size() + 1);
    if (*i + 1 >= words_.size() || words_[*i + 1].text.rfind("--", 0) == 0)
        throw Error("flopwise " + command_ + ": flag " + flag + " needs a value");
    words_[*i + 1].used = true;
    return words_[*i + 1].text;
}

std::optional<std::vector<std::string>> Args::values(const std::string& name, size_t count) {
    const auto i = find(name);
    if (!i) return std::nullopt;
    const std::string flag = "--" + name;
    if (words_[*i].text != flag) throw Error("flopwise " + command_ + ": flag " + flag + " takes its values as separate words");
    words_[*i].used = true;
    std::vector<std::string> out;
    for (size_t k = *i + 1; k < words_.size() && out.size() < count && words_[k].text.rfind("--", 0) != 0; ++k) {
        words_[k].used = true;
        out.push_back(words_[k].text);
    }
    if (out.size() != count)
        throw Error("flopwise " + command_ + ": flag " + flag + " needs " + std::to_string(count) + " values");
    return out;
}

std::string Args::required(const std::string& name) {
    auto v = value(name);
    if (!v) throw Error("flopwise " + command_ + ": missing required flag --" + name);
    return *v;
}

bool Args::flag(const std::string& name) {
    const auto i = find(name);
    if (!i) return false;
    if (words_[*i].text != "--" + name) throw Error("flopwise " + command_ + ": flag --" + name + " takes no value");
    words_[*i].used = true;
    return true;
}

int64_t Args::integer(const std::string& name, int64_t fallback, int64_t min, int64_t max) {
    auto v = value(name);
    if (!v) return fallback;
    errno = 0;
    char* end = nullptr;
    const long long parsed = std::strtoll(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || errno == ERANGE || parsed < min || parsed > max)
        throw Error("flopwise " + command_ + ": --" + name + " must be an integer in [" + std::to_string(min) + ", " +
                    std::to_string(max) + "], got '" + *v + "'");
    return parsed;
}

double Args::number(const std::string& name, double fallback, double min, double max) {
    auto v = value(name);
    if (!v) return fallback;
    char* end = nullptr;
    const double parsed = std::strtod(v->c_str(), &end);
    if (v->empty() || *end != '\0' || !std::isfinite(parsed) || parsed < min || parsed > max)
        throw Error("flopwise " + command_ + ": --" + name + " must be a number in [" + std::to_string(min) + ", " +
                    std::to_string(max) + "], got '" + *v + "'");
    return parsed;
}

std::vector<std::string> Args::list(const std::string& name) {
    std::vector<std::string> out;
    auto v = value(name);
    if (!v) return out;
    size_t start = 0;
    while (start <= v->size()) {
        const size_t comma = v->find(',', start);
        const std::string item = v->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (item.empty()) throw Error("flopwise " + command_ + ": --" + name + " has an empty item in '" + *v + "'");
        out.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

std::optional<std::string> Args::leading_word() {
    if (words_.empty() || words_.front().used || words_.front().text.rfind("--", 0) == 0) return std::nullopt;
    words_.front().used = true;
    return words_.front().text;
}

std::vector<std::string> Args::repeated(const std::string& name) {
    const std::string flag = "--" + name;
    std::vector<std::string> out;
    for (size_t i = 0; i < words_.size(); ++i) {
        Word& w = words_[i];
        if (w.used) continue;
        if (w.text.rfind(flag + "=", 0) == 0) {
            w.used = true;
            out.push_back(w.text.substr(flag.size() + 1));
        } else if (w.text == flag) {
            if (i + 1 >= words_.size() || words_[i + 1].text.rfind("--", 0) == 0)
                throw Error("flopwise " + command_ + ": flag " + flag + " needs a value");
            w.used = true;
            words_[i + 1].used = true;
            out.push_back(words_[i + 1].text);
        }
    }
    return out;
}

std::vector<std::string> Args::positionals() {
    std::vector<std::string> out;
    for (auto& w : words_)
        if (!w.used && w.text.rfind("--", 0) != 0) {
            w.used = true;
            out.push_back(w.text);
        }
    return out;
}

void Args::finish() const {
    for (const auto& w : words_)
        if (!w.used) {
            if (w.text.rfind("--", 0) == 0) throw Error("flopwise " + command_ + ": unknown flag " + w.text.substr(0, w.text.find('=')));
            throw Error("flopwise " + command_ + ": unexpected argument '" + w.text + "'");
        }
}

}  // namespace flopwise::cli
