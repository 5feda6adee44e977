#include "flopwise/eval/template.hpp"

#include <cctype>

#include "flopwise/error.hpp"
#include "flopwise/eval/regex.hpp"
#include "flopwise/eval/text.hpp"

namespace flopwise::eval {

namespace {

struct PathStep {
    std::string field;  // empty for an index step
    int64_t index = 0;
};

struct Filter {
    std::string name;
    std::vector<Doc> arguments;
    std::shared_ptr<const Regex> regex;  // regex_replace, compiled once
};

}  // namespace

struct Template::Node {
    enum class Kind { path, literal, list, concat, filtered } kind = Kind::literal;
    std::vector<PathStep> path;
    Doc value;
    std::vector<std::shared_ptr<const Node>> children;  // list items, concatenated terms, or the filtered term
    std::vector<Filter> filters;
};

namespace {

using Node = Template::Node;

std::string describe_keys(const Doc& object) {
    std::string keys;
    for (const auto& [key, value] : object.items()) keys += (keys.empty() ? "" : ", ") + key;
    return keys;
}

std::string ascii_case(std::string s, bool upper) {
    for (char& c : s) c = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(c)) : std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::vector<std::string> split(const std::string& s, const std::optional<std::string>& separator) {
    std::vector<std::string> out;
    if (!separator) {
        size_t i = 0;
        while (i < s.size()) {
            while (i < s.size() && is_python_space(static_cast<unsigned char>(s[i]))) ++i;
            const size_t start = i;
            while (i < s.size() && !is_python_space(static_cast<unsigned char>(s[i]))) ++i;
            if (i > start) out.push_back(s.substr(start, i - start));
        }
        return out;
    }
    size_t start = 0;
    while (true) {
        const size_t at = s.find(*separator, start);
        if (at == std::string::npos) break;
        out.push_back(s.substr(start, at - start));
        start = at + separator->size();
    }
    out.push_back(s.substr(start));
    return out;
}

class ExpressionParser {
public:
    ExpressionParser(const std::string& text, const std::string& source) : text_(text), source_(source) {}

    std::shared_ptr<const Node> parse() {
        auto node = expression();
        skip_space();
        if (pos_ != text_.size()) fail("unexpected '" + text_.substr(pos_, 1) + "'");
        return node;
    }

private:
    [[noreturn]] void fail(const std::string& why) const {
        throw Error("template \"" + source_ + "\": " + why + " in '{{" + text_ + "}}' at offset " + std::to_string(pos_));
    }
    void skip_space() {
        while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }
    bool accept(char c) {
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!accept(c)) fail(std::string("expected '") + c + "'");
    }
    std::string identifier() {
        skip_space();
        const size_t start = pos_;
        while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) ++pos_;
        if (start == pos_ || std::isdigit(static_cast<unsigned char>(text_[start]))) fail("expected a name");
        return text_.substr(start, pos_ - start);
    }
    int64_t integer() {
        skip_space();
        const size_t start = pos_;
        if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
        while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
        if (pos_ == start || text_.substr(start, pos_ - start) == "-") fail("expected an integer");
        return std::stoll(text_.substr(start, pos_ - start));
    }
    std::string string_literal() {
        skip_space();
        const char quote = text_[pos_++];
        std::string out;
        while (pos_ < text_.size() && text_[pos_] != quote) {
            char c = text_[pos_++];
            if (c == '\\' && pos_ < text_.size()) {
                const char e = text_[pos_++];
                c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
            }
            out += c;
        }
        if (pos_ == text_.size()) fail("unterminated string");
        ++pos_;
        return out;
    }
    Doc literal() {
        skip_space();
        if (pos_ < text_.size() && (text_[pos_] == '\'' || text_[pos_] == '"')) return string_literal();
        return integer();
    }
    bool at_literal() {
        skip_space();
        if (pos_ >= text_.size()) return false;
        const char c = text_[pos_];
        return c == '\'' || c == '"' || c == '-' || std::isdigit(static_cast<unsigned char>(c));
    }

    std::shared_ptr<const Node> expression() {
        auto first = term();
        if (!accept('+')) return first;
        auto node = std::make_shared<Node>();
        node->kind = Node::Kind::concat;
        node->children.push_back(first);
        do node->children.push_back(term());
        while (accept('+'));
        return node;
    }

    std::shared_ptr<const Node> term() {
        auto base = primary();
        if (!accept('|')) return base;
        auto node = std::make_shared<Node>();
        node->kind = Node::Kind::filtered;
        node->children.push_back(base);
        do node->filters.push_back(filter());
        while (accept('|'));
        return node;
    }

    Filter filter() {
        Filter f;
        f.name = identifier();
        if (accept('(')) {
            if (!accept(')')) {
                do f.arguments.push_back(literal());
                while (accept(','));
                expect(')');
            }
        }
        struct Arity {
            const char* name;
            size_t min, max;
        };
        static const Arity known[] = {{"trim", 0, 0},          {"lower", 0, 0}, {"upper", 0, 0},  {"capitalize", 0, 0},
                                      {"replace", 2, 2},       {"split", 0, 1}, {"join", 0, 1},   {"first", 0, 0},
                                      {"last", 0, 0},          {"keys", 0, 0},  {"values", 0, 0}, {"regex_replace", 2, 2}};
        const Arity* arity = nullptr;
        for (const auto& k : known)
            if (f.name == k.name) arity = &k;
        if (!arity)
            fail("unknown filter '" + f.name +
                 "' (known: trim, lower, upper, capitalize, replace, regex_replace, split, join, first, last, keys, values)");
        if (f.arguments.size() < arity->min || f.arguments.size() > arity->max)
            fail("filter '" + f.name + "' takes " + std::to_string(arity->min) + (arity->min == arity->max ? std::string() : std::string("-") + std::to_string(arity->max)) +
                 " arguments");
        for (const auto& a : f.arguments)
            if (!a.is_string() && f.name != "join") fail("filter '" + f.name + "' takes text arguments");
        if (f.name == "regex_replace") f.regex = std::make_shared<Regex>(f.arguments[0].get<std::string>());
        return f;
    }

    std::shared_ptr<const Node> primary() {
        auto node = std::make_shared<Node>();
        if (accept('[')) {
            node->kind = Node::Kind::list;
            if (!accept(']')) {
                do node->children.push_back(expression());
                while (accept(','));
                expect(']');
            }
            return node;
        }
        if (accept('(')) {
            auto inner = expression();
            expect(')');
            return inner;
        }
        if (at_literal()) {
            node->kind = Node::Kind::literal;
            node->value = literal();
            return node;
        }
        node->kind = Node::Kind::path;
        node->path.push_back({identifier(), 0});
        while (true) {
            skip_space();
            if (pos_ < text_.size() && text_[pos_] == '.') {
                ++pos_;
                node->path.push_back({identifier(), 0});
            } else if (accept('[')) {
                node->path.push_back({"", integer()});
                expect(']');
            } else {
                break;
            }
        }
        return node;
    }

    const std::string& text_;
    const std::string& source_;
    size_t pos_ = 0;
};

class Evaluator {
public:
    Evaluator(const Doc& doc, const std::string& source) : doc_(doc), source_(source) {}

    Doc evaluate(const Node& node) const {
        switch (node.kind) {
            case Node::Kind::literal:
                return node.value;
            case Node::Kind::path:
                return lookup(node.path);
            case Node::Kind::list: {
                Doc out = Doc::array();
                for (const auto& c : node.children) out.push_back(evaluate(*c));
                return out;
            }
            case Node::Kind::concat: {
                Doc out = evaluate(*node.children.front());
                for (size_t i = 1; i < node.children.size(); ++i) {
                    const Doc next = evaluate(*node.children[i]);
                    if (out.is_string() && next.is_string()) {
                        out = out.get<std::string>() + next.get<std::string>();
                    } else if (out.is_array() && next.is_array()) {
                        for (const auto& item : next) out.push_back(item);
                    } else {
                        fail("'+' joins two texts or two lists, got " + std::string(out.type_name()) + " and " + next.type_name());
                    }
                }
                return out;
            }
            case Node::Kind::filtered: {
                Doc value = evaluate(*node.children.front());
                for (const auto& f : node.filters) value = apply(f, value);
                return value;
            }
        }
        return {};
    }

private:
    [[noreturn]] void fail(const std::string& why) const { throw Error("template \"" + source_ + "\": " + why); }

    Doc lookup(const std::vector<PathStep>& path) const {
        const Doc* current = &doc_;
        std::string where;
        for (const auto& step : path) {
            if (!step.field.empty()) {
                if (!current->is_object()) fail("'" + where + "' is not an object, cannot take field '" + step.field + "'");
                const auto it = current->find(step.field);
                if (it == current->end())
                    fail((where.empty() ? "the document" : "'" + where + "'") + " has no field '" + step.field + "' (fields: " +
                         describe_keys(*current) + ")");
                current = &*it;
                where += (where.empty() ? "" : ".") + step.field;
            } else {
                if (!current->is_array()) fail("'" + where + "' is not a list, cannot index it");
                const auto size = static_cast<int64_t>(current->size());
                const int64_t i = step.index < 0 ? size + step.index : step.index;
                if (i < 0 || i >= size) fail("index " + std::to_string(step.index) + " is out of range for '" + where + "' (" + std::to_string(size) + " items)");
                current = &(*current)[static_cast<size_t>(i)];
                where += std::string("[") + std::to_string(step.index) + "]";
            }
        }
        return *current;
    }

    std::string text_of(const Doc& value, const std::string& filter) const {
        if (!value.is_string()) fail("filter '" + filter + "' needs text, got " + value.type_name());
        return value.get<std::string>();
    }

    Doc apply(const Filter& f, const Doc& value) const {
        const auto arg = [&](size_t i) { return f.arguments[i].get<std::string>(); };
        if (f.name == "trim") return strip(text_of(value, f.name));
        if (f.name == "lower") return ascii_case(text_of(value, f.name), false);
        if (f.name == "upper") return ascii_case(text_of(value, f.name), true);
        if (f.name == "capitalize") {
            std::string s = ascii_case(text_of(value, f.name), false);
            if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
            return s;
        }
        if (f.name == "replace") {
            const std::string s = text_of(value, f.name), from = arg(0), to = arg(1);
            if (from.empty()) fail("filter 'replace' needs a non-empty text to replace");
            return replace_all(s, from, to);
        }
        if (f.name == "regex_replace") return f.regex->replace_all(text_of(value, f.name), arg(1));
        if (f.name == "split") {
            Doc out = Doc::array();
            for (auto& piece : split(text_of(value, f.name), f.arguments.empty() ? std::nullopt : std::optional(arg(0)))) out.push_back(piece);
            return out;
        }
        if (f.name == "join") {
            if (!value.is_array()) fail("filter 'join' needs a list, got " + std::string(value.type_name()));
            const std::string separator = f.arguments.empty() ? "" : value_to_text(f.arguments[0], "join separator");
            std::string out;
            for (size_t i = 0; i < value.size(); ++i) out += (i ? separator : "") + value_to_text(value[i], "a joined item");
            return out;
        }
        if (f.name == "first" || f.name == "last") {
            if (!value.is_array() || value.empty()) fail("filter '" + f.name + "' needs a non-empty list");
            return f.name == "first" ? value.front() : value.back();
        }
        if (!value.is_object()) fail("filter '" + f.name + "' needs an object, got " + std::string(value.type_name()));
        Doc out = Doc::array();
        for (const auto& [key, item] : value.items()) out.push_back(f.name == "keys" ? Doc(key) : item);
        return out;
    }

    const Doc& doc_;
    const std::string& source_;
};

}  // namespace

std::string value_to_text(const Doc& value, const std::string& what) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_boolean()) return value.get<bool>() ? "True" : "False";
    if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
    if (value.is_number_unsigned()) return std::to_string(value.get<uint64_t>());
    if (value.is_number_float()) return value.dump();
    if (value.is_null()) return "None";
    throw Error(what + " is a " + value.type_name() + ", not text (use a filter such as join)");
}

Template Template::parse(const std::string& source) {
    Template t;
    t.source_ = source;
    size_t pos = 0;
    while (pos < source.size()) {
        const size_t open = source.find("{{", pos);
        if (open == std::string::npos) {
            t.segments_.push_back({source.substr(pos), nullptr});
            break;
        }
        if (open > pos) t.segments_.push_back({source.substr(pos, open - pos), nullptr});
        // The closing braces are the first "}}" outside a quoted string.
        size_t i = open + 2;
        char quote = 0;
        while (i + 1 < source.size() && (quote || source.compare(i, 2, "}}") != 0)) {
            if (quote) {
                if (source[i] == '\\') ++i;
                else if (source[i] == quote) quote = 0;
            } else if (source[i] == '\'' || source[i] == '"') {
                quote = source[i];
            }
            ++i;
        }
        if (i + 1 >= source.size()) throw Error("template \"" + source + "\": '{{' at offset " + std::to_string(open) + " is never closed");
        const std::string inner = source.substr(open + 2, i - open - 2);
        t.segments_.push_back({"", ExpressionParser(inner, source).parse()});
        pos = i + 2;
    }
    return t;
}

Doc Template::evaluate(const Doc& doc) const {
    if (segments_.size() == 1 && segments_.front().expression) return Evaluator(doc, source_).evaluate(*segments_.front().expression);
    return render(doc);
}

std::string Template::render(const Doc& doc) const {
    std::string out;
    for (const auto& segment : segments_) {
        if (!segment.expression) {
            out += segment.literal;
            continue;
        }
        out += value_to_text(Evaluator(doc, source_).evaluate(*segment.expression), "template \"" + source_ + "\": a {{...}} value");
    }
    return out;
}

}  // namespace flopwise::eval
