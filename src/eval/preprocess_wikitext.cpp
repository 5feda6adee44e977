#include "flopwise/error.hpp"
#include "flopwise/eval/preprocessors.hpp"
#include "flopwise/eval/regex.hpp"

namespace flopwise::eval {

namespace {

std::string replace(const std::string& s, const std::string& from, const std::string& to) {
    std::string out;
    size_t start = 0, at;
    while ((at = s.find(from, start)) != std::string::npos) {
        out.append(s, start, at - start);
        out += to;
        start = at + from.size();
    }
    return out + s.substr(start);
}

std::string strip(const std::string& s) {
    const size_t begin = s.find_first_not_of(" \t\r\n\f\v");
    if (begin == std::string::npos) return "";
    return s.substr(begin, s.find_last_not_of(" \t\r\n\f\v") - begin + 1);
}

// An article starts at a level-1 heading line " = Title = " (deeper headings read "= = Title = =").
bool is_article_heading(const std::string& line) {
    const std::string r = strip(replace(replace(line, "= = =", "==="), "= =", "=="));
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
    s = replace(s, "s '", "s'");
    s = quote_digit.replace_all(s, "/'[0-9]/");
    s = replace(s, " @-@ ", "-");
    s = replace(s, " @,@ ", ",");
    s = replace(s, " @.@ ", ".");
    s = replace(s, " : ", ": ");
    s = replace(s, " ; ", "; ");
    s = replace(s, " . ", ". ");
    s = replace(s, " ! ", "! ");
    s = replace(s, " ? ", "? ");
    s = replace(s, " , ", ", ");
    s = parentheses.replace_all(s, "(\\1)");
    s = brackets.replace_all(s, "[\\1]");
    s = braces.replace_all(s, "{\\1}");
    s = double_quotes.replace_all(s, "\"\\1\"");
    s = single_quotes.replace_all(s, "'\\1'");
    s = replace(s, "= = = =", "====");
    s = replace(s, "= = =", "===");
    s = replace(s, "= =", "==");
    s = replace(s, " \xC2\xB0 ", "\xC2\xB0");
    s = replace(s, " \n", "\n");
    s = replace(s, "\n ", "\n");
    s = replace(s, " N ", " 1 ");
    s = replace(s, " 's", "'s");
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
