#include <cctype>

#include "flopwise/error.hpp"
#include "flopwise/eval/preprocessors.hpp"
#include "flopwise/eval/regex.hpp"
#include "flopwise/eval/text.hpp"

namespace flopwise::eval {

namespace {

// lm-evaluation-harness's HellaSwag text clean-up: strip, " [title]" becomes ". ", any other
// [bracketed] WikiHow markup goes, and one pass turns double spaces into single ones. The text
// file had most of this done already; what remains are a few bracketed phrases.
std::string clean(const std::string& text) {
    static const Regex brackets("\\[.*?\\]");
    std::string s = replace_all(strip(text), " [title]", ". ");
    s = brackets.replace_all(s, "");
    return replace_all(s, "  ", " ");
}

// The text file joins ctx_a and ctx_b with the lower-case first letter ctx_b has in the dataset;
// lm-evaluation-harness capitalizes ctx_b. ctx_b is the unfinished sentence after the last
// sentence end, so a lower-case letter right after the last ". ", "! " or "? " is ctx_b's and is
// raised (in this file no such fragment holds another capital that capitalize() would lower).
std::string capitalize_last_fragment(std::string ctx) {
    size_t start = 0;
    for (size_t i = 0; i + 1 < ctx.size(); ++i)
        if ((ctx[i] == '.' || ctx[i] == '!' || ctx[i] == '?') && ctx[i + 1] == ' ') start = i + 2;
    if (start < ctx.size() && std::islower(static_cast<unsigned char>(ctx[start])))
        ctx[start] = static_cast<char>(std::toupper(static_cast<unsigned char>(ctx[start])));
    return ctx;
}

}  // namespace

std::vector<Doc> preprocess_hellaswag(std::vector<Doc> docs) {
    for (size_t i = 0; i < docs.size(); ++i) {
        Doc& doc = docs[i];
        const std::string where = "hellaswag document " + std::to_string(i);
        if (!doc.contains("ctx") || !doc["ctx"].is_string() || !doc.contains("label") || !doc["label"].is_number_integer() ||
            !doc.contains("endings") || !doc["endings"].is_array())
            throw Error(where + ": expected fields ctx (text), label (integer) and endings (list)");
        const std::string ctx = doc["ctx"].get<std::string>();
        // "activity_label: context"; the label itself never holds ": " in the data.
        const size_t colon = ctx.find(": ");
        if (colon == std::string::npos) throw Error(where + ": context '" + ctx + "' has no 'activity label: ' prefix");
        doc["query"] = clean(ctx.substr(0, colon + 2) + capitalize_last_fragment(ctx.substr(colon + 2)));
        Doc choices = Doc::array();
        for (const auto& ending : doc["endings"]) choices.push_back(clean(ending.get<std::string>()));
        doc["choices"] = std::move(choices);
        doc["gold"] = doc["label"];
    }
    return docs;
}

}  // namespace flopwise::eval
