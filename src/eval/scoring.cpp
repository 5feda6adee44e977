#include "flopwise/eval/scoring.hpp"

#include <cctype>
#include <cmath>
#include <map>
#include <memory>

#include "flopwise/error.hpp"
#include "flopwise/eval/regex.hpp"

namespace flopwise::eval {

namespace {

Aggregation aggregation_of(const std::string& metric) {
    if (metric == "perplexity") return Aggregation::perplexity;
    if (metric == "word_perplexity" || metric == "byte_perplexity") return Aggregation::weighted_perplexity;
    if (metric == "bits_per_byte") return Aggregation::bits_per_byte;
    return Aggregation::mean;
}

// Regexes are compiled once per pattern for the whole run.
const Regex& compiled(const std::string& pattern) {
    static std::map<std::string, std::unique_ptr<Regex>> cache;
    auto& slot = cache[pattern];
    if (!slot) slot = std::make_unique<Regex>(pattern);
    return *slot;
}

nlohmann::ordered_json finite_or_text(double v) {
    if (std::isfinite(v)) return v;
    return std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
}

}  // namespace

std::vector<ReportedMetric> reported_metrics(const TaskConfig& config) {
    std::vector<ReportedMetric> out;
    for (const auto& m : config.metrics) {
        const bool lower_better = m.name.find("perplexity") != std::string::npos || m.name == "bits_per_byte";
        if (m.name == "exact_match" && !config.filters.empty()) {
            for (const auto& f : config.filters) out.push_back({m.name + "," + f.name, m.name, f.name, Aggregation::mean, true});
        } else {
            out.push_back({m.name, m.name, "", aggregation_of(m.name), !lower_better});
        }
    }
    return out;
}

size_t argmax_first(const std::vector<double>& values) {
    size_t best = 0;
    for (size_t i = 1; i < values.size(); ++i)
        if (values[i] > values[best] || (std::isnan(values[best]) && !std::isnan(values[i]))) best = i;
    return best;
}

size_t code_points(const std::string& utf8) {
    size_t n = 0;
    for (unsigned char c : utf8)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

double mc2_true_mass(const std::vector<double>& loglikelihoods, const std::vector<int>& true_labels) {
    // exp(ll) normalized over the choices; shifting by the largest ll first changes nothing
    // mathematically and keeps very unlikely choices from underflowing to 0/0.
    double top = -INFINITY;
    for (double ll : loglikelihoods) top = std::max(top, ll);
    double all = 0.0, truths = 0.0;
    for (size_t i = 0; i < loglikelihoods.size(); ++i) {
        const double p = std::exp(loglikelihoods[i] - top);
        all += p;
        if (true_labels[i] == 1) truths += p;
    }
    return truths / all;
}

std::string extract_answer(const AnswerFilter& filter, const std::string& text) {
    const auto matches = compiled(filter.regex).find_all(text);
    if (matches.empty()) return filter.fallback;
    const int count = static_cast<int>(matches.size());
    const int index = filter.group_select < 0 ? count + filter.group_select : filter.group_select;
    if (index < 0 || index >= count) return filter.fallback;  // Python would raise; no answer is the honest reading
    const auto& groups = matches[static_cast<size_t>(index)];
    std::string answer;
    if (groups.size() == 1) {
        answer = groups.front();
    } else {
        // Several groups: the first that matched something, as lm-evaluation-harness takes it.
        bool found = false;
        for (const auto& g : groups)
            if (!g.empty()) {
                answer = g;
                found = true;
                break;
            }
        if (!found) return filter.fallback;
    }
    const size_t begin = answer.find_first_not_of(" \t\n\r\f\v");
    if (begin == std::string::npos) return "";
    return answer.substr(begin, answer.find_last_not_of(" \t\n\r\f\v") - begin + 1);
}

bool exact_match(const MetricSpec& metric, const std::string& prediction, const std::string& reference) {
    std::string p = prediction, r = reference;
    for (const auto& pattern : metric.regexes_to_ignore) {
        p = compiled(pattern).replace_all(p, "");
        r = compiled(pattern).replace_all(r, "");
    }
    const auto normalize = [&](std::string s) {
        if (metric.ignore_case)
            for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (metric.ignore_punctuation) std::erase_if(s, [](char c) { return std::ispunct(static_cast<unsigned char>(c)) != 0; });
        return s;
    };
    return normalize(p) == normalize(r);
}

DocumentScore score_document(const TaskConfig& config, const DocumentPlan& document, const std::vector<const Response*>& responses) {
    if (responses.size() != document.requests.size()) throw Error("task '" + config.name + "': responses do not match requests");
    DocumentScore score;
    const auto metrics = reported_metrics(config);
    switch (config.output_type) {
        case OutputType::multiple_choice: {
            std::vector<double> lls, per_char, per_byte;
            nlohmann::ordered_json greedy = nlohmann::ordered_json::array();
            for (size_t i = 0; i < responses.size(); ++i) {
                const double ll = responses[i]->loglikelihood.logprob;
                lls.push_back(ll);
                per_char.push_back(ll / static_cast<double>(code_points(document.choices[i])));
                per_byte.push_back(ll / static_cast<double>(document.choices[i].size()));
                greedy.push_back(responses[i]->loglikelihood.greedy);
            }
            const size_t pred = argmax_first(lls), pred_norm = argmax_first(per_char), pred_bytes = argmax_first(per_byte);
            const auto gold = static_cast<size_t>(document.gold);
            auto lls_json = nlohmann::ordered_json::array();
            for (double ll : lls) lls_json.push_back(finite_or_text(ll));
            score.details = {{"gold", document.gold}, {"loglikelihoods", lls_json}, {"greedy", greedy}, {"prediction", pred}};
            for (const auto& m : metrics) {
                double v = 0.0;
                if (m.metric == "acc") v = pred == gold;
                else if (m.metric == "acc_norm") {
                    v = pred_norm == gold;
                    score.details["prediction_norm"] = pred_norm;
                } else if (m.metric == "acc_bytes") {
                    v = pred_bytes == gold;
                    score.details["prediction_bytes"] = pred_bytes;
                } else if (m.metric == "mc2") {
                    v = mc2_true_mass(lls, document.true_labels);
                    score.details["true_labels"] = document.true_labels;
                }
                score.samples.push_back({v, 1.0});
            }
            break;
        }
        case OutputType::loglikelihood: {
            const auto& r = responses.front()->loglikelihood;
            score.details = {{"loglikelihood", finite_or_text(r.logprob)}, {"greedy", r.greedy}};
            for (const auto& m : metrics) score.samples.push_back({m.metric == "acc" ? (r.greedy ? 1.0 : 0.0) : r.logprob, 1.0});
            break;
        }
        case OutputType::loglikelihood_rolling: {
            const double ll = responses.front()->rolling.logprob;
            score.details = {{"loglikelihood", finite_or_text(ll)}, {"words", document.words}, {"bytes", document.bytes}};
            for (const auto& m : metrics)
                score.samples.push_back({ll, static_cast<double>(m.metric == "word_perplexity" ? document.words : document.bytes)});
            break;
        }
        case OutputType::generate_until: {
            const std::string& text = responses.front()->generation.text;
            score.details = {{"reference", document.reference}, {"response", text}};
            nlohmann::ordered_json extracted = nlohmann::ordered_json::object();
            for (const auto& m : metrics) {
                const MetricSpec* spec = nullptr;
                for (const auto& s : config.metrics)
                    if (s.name == m.metric) spec = &s;
                std::string answer = text;
                if (!m.filter.empty()) {
                    for (const auto& f : config.filters)
                        if (f.name == m.filter) answer = extract_answer(f, text);
                    extracted[m.filter] = answer;
                }
                score.samples.push_back({exact_match(*spec, answer, document.reference) ? 1.0 : 0.0, 1.0});
            }
            if (!config.filters.empty()) score.details["extracted"] = extracted;
            break;
        }
    }
    return score;
}

}  // namespace flopwise::eval
