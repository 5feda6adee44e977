#include "flopwise/error.hpp"
#include "flopwise/eval/preprocessors.hpp"
#include "flopwise/eval/regex.hpp"
#include "flopwise/eval/text.hpp"

namespace flopwise::eval {

namespace {

// An article starts at a level-1 heading line " = Title = " (deeper headings read "= = Title = =").
bool is_article_heading(const std::string& line) {
    const std::string r = strip(replace_all(replace_all(line, "= = =", "==="), "= =", "=="));
    return r.rfind("= ", 0) == 0 && r.size() >= 2 && r.compare(r.size() - 2, 2, " =") == 0;
}

// lm-evaluation-harness's wikitext detokenizer, rule for rule and in its order, so that the
// text scored is the text it scores (a WikiText tokenization artefact left in place costs
// perplexity). The "/' [0-9]/" rule is reproduced as it is written there, literal replacement
// included.
std::string detokenize(std::string s) {
    static const Regex quote_digit("/' [0-9]/");
    static const Regex parentheses("\\(\\s*([^\\)]*?)\\s*\\)");
    static const Regex brackets("\\[\\s*([^\\]]*?)\\s*\\]");
    static const Regex braces("\\{\\s*([^}]*?)\\s*\\}");
    static const Regex double_quotes("\"\\s*([^\"]*?)\\s*\"");
    static const Regex single_quotes("'\\s*([^']*?)\\s*'");
    s = replace_all(s, "s '", "s'");
    s = quote_digit.replace_all(s, "/'[0-9]/");
    s = replace_all(s, " @-@ ", "-");
    s = replace_all(s, " @,@ ", ",");
    s = replace_all(s, " @.@ ", ".");
    s = replace_all(s, " : ", ": ");
    s = replace_all(s, " ; ", "; ");
    s = replace_all(s, " . ", ". ");
    s = replace_all(s, " ! ", "! ");
    s = replace_all(s, " ? ", "? ");
    s = replace_all(s, " , ", ", ");
    s = parentheses.replace_all(s, "(\\1)");
    s = brackets.replace_all(s, "[\\1]");
    s = braces.replace_all(s, "{\\1}");
    s = double_quotes.replace_all(s, "\"\\1\"");
    s = single_quotes.replace_all(s, "'\\1'");
    s = replace_all(s, "= = = =", "====");
    s = replace_all(s, "= = =", "===");
    s = replace_all(s, "= =", "==");
    s = replace_all(s, " \xC2\xB0 ", "\xC2\xB0");
    s = replace_all(s, " \n", "\n");
    s = replace_all(s, "\n ", "\n");
    s = replace_all(s, " N ", " 1 ");
    s = replace_all(s, " 's", "'s");
    return s;
}

Doc make_document(const std::vector<std::string>& lines) {
    std::string page;
    for (size_t i = 0; i < lines.size(); ++i) page += (i ? "\n" : "") + lines[i];
    Doc doc = Doc::object();
    doc["page"] = page;
    doc["detokenized"] = detokenize(page);
    return doc;
}

}  // namespace

// Articles are cut as the wikitext_document_level dataset cuts them: the file is split on "\n",
// every level-1 heading starts a new article, text before the first heading is dropped when
// blank, and the last article keeps the file's trailing empty line.
std::vector<Doc> preprocess_wikitext_documents(std::vector<Doc> docs) {
    std::vector<Doc> out;
    for (const auto& record : docs) {
        if (!record.contains("text") || !record["text"].is_string()) throw Error("wikitext: expected one record with a 'text' field (format: text)");
        const std::string text = record["text"].get<std::string>();
        std::vector<std::string> lines;
        size_t start = 0;
        while (true) {
            const size_t end = text.find('\n', start);
            lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
            if (end == std::string::npos) break;
            start = end + 1;
        }
        std::vector<std::string> article;
        for (const auto& line : lines) {
            if (is_article_heading(line)) {
                std::string joined;
                for (const auto& l : article) joined += l;
                if (!strip(joined).empty()) out.push_back(make_document(article));
                article.clear();
            }
            article.push_back(line);
        }
        out.push_back(make_document(article));
    }
    return out;
}

}  // namespace flopwise::eval
