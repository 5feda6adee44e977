#include "flopwise/eval/preprocessors.hpp"

#include "flopwise/error.hpp"

namespace flopwise::eval {

namespace {

struct Named {
    const char* name;
    Preprocessor function;
};

// Listed here rather than self-registered: a registration object in an unreferenced file of a
// static library would be dropped by the linker.
constexpr Named kPreprocessors[] = {
    {"hellaswag", &preprocess_hellaswag},
    {"wikitext_document_level", &preprocess_wikitext_documents},
};

}  // namespace

Preprocessor find_preprocessor(const std::string& name) {
    for (const auto& p : kPreprocessors)
        if (name == p.name) return p.function;
    std::string known;
    for (const auto& p : kPreprocessors) known += (known.empty() ? "" : ", ") + std::string(p.name);
    throw Error("unknown preprocessor '" + name + "' (known: " + known + ")");
}

}  // namespace flopwise::eval
