#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace flopwise::eval {

// One dataset record. Key order is kept as in the file (answer options stored as object keys,
// as in TruthfulQA, are ordered data).
using Doc = nlohmann::ordered_json;

// The prompt templates of task YAML files: literal text with `{{ expression }}` holes, a small
// subset of the Jinja templates lm-evaluation-harness uses, so its task definitions carry over.
//
//   expression := term ('+' term)*                      string or list concatenation
//   term       := primary ('|' filter)*
//   primary    := path | 'text' | "text" | integer | '[' expression (',' expression)* ']'
//   path       := field ('.' field | '[' integer ']')*  negative indexes count from the end
//   filter     := name ['(' literal (',' literal)* ')']
//
// Filters: trim, lower, upper, capitalize (Python's str methods, on ASCII letters), replace(old, new),
// regex_replace(pattern, replacement) (Python re.sub), split([separator]), join(separator),
// first, last, keys, values (of an object, in file order).
class Template {
public:
    // Throws Error describing the syntax error and where it is in the template.
    static Template parse(const std::string& source);

    const std::string& source() const { return source_; }
    // A template that is one `{{ expression }}` and nothing else yields the expression's value with
    // its type (a list of choices, an index); any other template yields text.
    Doc evaluate(const Doc& doc) const;
    // The template as text; an expression that yields a list or an object is an error.
    std::string render(const Doc& doc) const;

    struct Node;

private:
    struct Segment {
        std::string literal;
        std::shared_ptr<const Node> expression;
    };
    std::string source_;
    std::vector<Segment> segments_;
};

// How a template value reads as text: strings as they are, integers in decimal, booleans as
// Python prints them; lists and objects are an error naming `what`.
std::string value_to_text(const Doc& value, const std::string& what);

}  // namespace flopwise::eval
