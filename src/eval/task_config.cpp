#include "flopwise/eval/task_config.hpp"

#include <algorithm>
#include <filesystem>

#include "flopwise/eval/regex.hpp"
#include "flopwise/eval/yaml_map.hpp"

namespace flopwise::eval {

std::string to_string(OutputType type) {
    switch (type) {
        case OutputType::multiple_choice: return "multiple_choice";
        case OutputType::loglikelihood: return "loglikelihood";
        case OutputType::loglikelihood_rolling: return "loglikelihood_rolling";
        case OutputType::generate_until: return "generate_until";
    }
    return "?";
}

namespace {

const std::set<std::string> kTaskFields = {
    "task",        "version",          "follows",       "differences",    "dataset",           "preprocessor", "output_type",
    "description", "doc_to_text",      "doc_to_target", "doc_to_choice",  "doc_to_gold",       "choices_in",   "target_delimiter",
    "fewshot_delimiter", "num_fewshot", "fewshot",      "metrics",        "filters",           "generation",   "count_units_in",
    "include"};

// The metrics each output type can report.
const std::vector<std::string>& metrics_for(OutputType type) {
    static const std::vector<std::string> mc = {"acc", "acc_norm", "acc_bytes", "mc2"};
    static const std::vector<std::string> ll = {"acc", "perplexity"};
    static const std::vector<std::string> rolling = {"word_perplexity", "byte_perplexity", "bits_per_byte"};
    static const std::vector<std::string> gen = {"exact_match"};
    switch (type) {
        case OutputType::multiple_choice: return mc;
        case OutputType::loglikelihood: return ll;
        case OutputType::loglikelihood_rolling: return rolling;
        case OutputType::generate_until: return gen;
    }
    return mc;
}

std::optional<Template> template_field(const YamlMap& map, const std::string& key) {
    const auto text = map.string(key);
    if (!text) return std::nullopt;
    try {
        return Template::parse(*text);
    } catch (const Error& e) {
        throw map.error(key, e.what());
    }
}

YamlMap load_with_includes(const std::string& path, int depth) {
    if (depth > 8) throw Error(path + ": 'include' nests more than 8 files deep (a cycle?)");
    YamlMap own(load_yaml_file(path), path, "");
    const auto include = own.string("include");
    if (!include) return own;
    const std::string included = (std::filesystem::path(path).parent_path() / *include).string();
    if (!std::filesystem::exists(included)) throw own.error("include", "file " + included + " not found");
    YamlMap merged = load_with_includes(included, depth + 1);
    merged.merge(own);
    return merged;
}

MetricSpec parse_metric(const YAML::Node& item, const std::string& file, const std::vector<std::string>& allowed, OutputType type) {
    MetricSpec m;
    if (item.IsScalar()) {
        m.name = item.as<std::string>();
    } else {
        const YamlMap map(item, file, "metric");
        map.reject_unknown({"metric", "ignore_case", "ignore_punctuation", "regexes_to_ignore", "labels"});
        m.name = map.required_string("metric");
        m.ignore_case = map.boolean_or("ignore_case", false);
        m.ignore_punctuation = map.boolean_or("ignore_punctuation", false);
        m.regexes_to_ignore = map.string_list("regexes_to_ignore");
        for (const auto& r : m.regexes_to_ignore) {
            try {
                Regex check(r);
            } catch (const Error& e) {
                throw map.error("regexes_to_ignore", e.what());
            }
        }
        m.labels = template_field(map, "labels");
        const bool exact_match_options = map.has("ignore_case") || map.has("ignore_punctuation") || map.has("regexes_to_ignore");
        if (exact_match_options && m.name != "exact_match") throw map.error("metric", "only exact_match takes ignore_* options");
        if (m.labels && m.name != "mc2") throw map.error("labels", "only mc2 takes labels");
    }
    if (std::find(allowed.begin(), allowed.end(), m.name) == allowed.end()) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        throw Error(location(file, item) + ": field 'metrics': '" + m.name + "' is not a metric of " + to_string(type) + " tasks (known: " + list +
                    ")");
    }
    if (m.name == "mc2" && !m.labels) throw Error(location(file, item) + ": field 'metrics': mc2 needs labels: a template giving 0/1 per choice");
    return m;
}

}  // namespace

TaskConfig load_task_file(const std::string& path) {
    const YamlMap map = load_with_includes(path, 0);
    map.reject_unknown(kTaskFields);
    TaskConfig t;
    t.file = path;
    t.name = map.required_string("task");
    t.version = map.required_string("version");
    t.follows = map.required_string("follows");
    t.differences = map.string_or("differences", "");

    const YamlMap dataset = map.map("dataset");
    dataset.reject_unknown({"name", "subset", "split"});
    t.dataset = dataset.required_string("name");
    t.subset = dataset.string_or("subset", "");
    t.split = dataset.required_string("split");
    t.preprocessor = map.string_or("preprocessor", "");

    const std::string type = map.required_string("output_type");
    if (type == "multiple_choice") t.output_type = OutputType::multiple_choice;
    else if (type == "loglikelihood") t.output_type = OutputType::loglikelihood;
    else if (type == "loglikelihood_rolling") t.output_type = OutputType::loglikelihood_rolling;
    else if (type == "generate_until") t.output_type = OutputType::generate_until;
    else throw map.error("output_type", "'" + type + "' is not one of multiple_choice, loglikelihood, loglikelihood_rolling, generate_until");

    t.description = template_field(map, "description");
    t.doc_to_text = template_field(map, "doc_to_text");
    t.doc_to_target = template_field(map, "doc_to_target");
    t.doc_to_gold = template_field(map, "doc_to_gold");
    if (const auto* choice = map.find("doc_to_choice")) {
        if (choice->value.IsSequence()) {
            for (const auto& item : choice->value) {
                if (!item.IsScalar()) throw Error(location(choice->file, item) + ": field 'doc_to_choice': every choice must be text");
                try {
                    t.doc_to_choice_list.push_back(Template::parse(item.as<std::string>()));
                } catch (const Error& e) {
                    throw Error(location(choice->file, item) + ": field 'doc_to_choice': " + e.what());
                }
            }
        } else {
            t.doc_to_choice = template_field(map, "doc_to_choice");
        }
    }
    const std::string choices_in = map.string_or("choices_in", "continuation");
    if (choices_in != "continuation" && choices_in != "context") throw map.error("choices_in", "must be 'continuation' or 'context'");
    t.choices_in_context = choices_in == "context";
    t.target_delimiter = map.string_or("target_delimiter", " ");
    t.fewshot_delimiter = map.string_or("fewshot_delimiter", "\n\n");
    t.num_fewshot = static_cast<int32_t>(map.integer_or("num_fewshot", 0, 0, 1000));
    if (map.has("fewshot")) {
        const YamlMap fewshot = map.map("fewshot");
        fewshot.reject_unknown({"split", "sampler"});
        FewshotSource source{fewshot.required_string("split"), fewshot.string_or("sampler", "random")};
        if (source.sampler != "random" && source.sampler != "first_n") throw fewshot.error("sampler", "must be 'random' or 'first_n'");
        t.fewshot = source;
    }
    if (t.num_fewshot > 0 && !t.fewshot) throw map.error("num_fewshot", "few-shot examples need a 'fewshot: {split: ...}' source");

    const auto* metrics = map.find("metrics");
    if (!metrics || !metrics->value.IsSequence() || metrics->value.size() == 0) throw map.error("metrics", "must be a non-empty list");
    for (const auto& item : metrics->value) {
        MetricSpec m = parse_metric(item, metrics->file, metrics_for(t.output_type), t.output_type);
        for (const auto& other : t.metrics)
            if (other.name == m.name) throw Error(location(metrics->file, item) + ": field 'metrics': '" + m.name + "' is listed twice");
        t.metrics.push_back(std::move(m));
    }

    if (const auto* filters = map.find("filters")) {
        if (t.output_type != OutputType::generate_until) throw map.error("filters", "answer filters apply to generate_until tasks only");
        if (!filters->value.IsSequence()) throw map.error("filters", "must be a list of {name, regex, group_select, fallback}");
        for (const auto& item : filters->value) {
            const YamlMap f(item, filters->file, "filter");
            f.reject_unknown({"name", "regex", "group_select", "fallback"});
            AnswerFilter filter{f.required_string("name"), f.required_string("regex"),
                                static_cast<int>(f.integer_or("group_select", 0, -100, 100)), f.string_or("fallback", "[invalid]")};
            try {
                Regex check(filter.regex);
            } catch (const Error& e) {
                throw f.error("regex", e.what());
            }
            t.filters.push_back(filter);
        }
    }
    if (map.has("generation")) {
        if (t.output_type != OutputType::generate_until) throw map.error("generation", "applies to generate_until tasks only");
        const YamlMap g = map.map("generation");
        g.reject_unknown({"until", "max_gen_toks"});
        t.generation.until = g.string_list("until");
        t.generation.max_gen_toks = static_cast<int32_t>(g.integer_or("max_gen_toks", 256, 1, 1 << 20));
    }
    t.count_units_in = template_field(map, "count_units_in");

    // What each output type needs.
    const auto require = [&](bool present, const std::string& key, const std::string& why) {
        if (!present) throw map.error(key, "is required " + why);
    };
    const bool has_choices = t.doc_to_choice || !t.doc_to_choice_list.empty();
    switch (t.output_type) {
        case OutputType::multiple_choice:
            require(has_choices, "doc_to_choice", "for multiple_choice tasks");
            require(t.doc_to_target.has_value(), "doc_to_target", "for multiple_choice tasks");
            if (t.choices_in_context) {
                require(t.doc_to_gold.has_value(), "doc_to_gold", "when choices_in: context (the index of the right context)");
            } else {
                require(t.doc_to_text.has_value(), "doc_to_text", "for multiple_choice tasks");
                if (t.doc_to_gold) throw map.error("doc_to_gold", "is only used with choices_in: context (doc_to_target is the answer)");
            }
            break;
        case OutputType::loglikelihood:
            require(t.doc_to_text.has_value(), "doc_to_text", "for loglikelihood tasks");
            require(t.doc_to_target.has_value(), "doc_to_target", "for loglikelihood tasks");
            break;
        case OutputType::loglikelihood_rolling:
            require(t.doc_to_target.has_value(), "doc_to_target", "for loglikelihood_rolling tasks (the text to score)");
            break;
        case OutputType::generate_until:
            require(t.doc_to_text.has_value(), "doc_to_text", "for generate_until tasks");
            require(t.doc_to_target.has_value(), "doc_to_target", "for generate_until tasks (the reference answer)");
            break;
    }
    if (t.output_type != OutputType::multiple_choice && (has_choices || t.choices_in_context || t.doc_to_gold))
        throw map.error(has_choices ? "doc_to_choice" : "choices_in", "only multiple_choice tasks have choices");
    if (t.count_units_in && t.output_type != OutputType::loglikelihood_rolling)
        throw map.error("count_units_in", "applies to loglikelihood_rolling tasks only");
    return t;
}

nlohmann::ordered_json TaskConfig::to_json() const {
    const auto source = [](const std::optional<Template>& t) { return t ? nlohmann::ordered_json(t->source()) : nlohmann::ordered_json(); };
    nlohmann::ordered_json j;
    j["task"] = name;
    j["version"] = version;
    j["follows"] = follows;
    j["differences"] = differences;
    j["dataset"] = {{"name", dataset}, {"subset", subset}, {"split", split}};
    j["preprocessor"] = preprocessor;
    j["output_type"] = to_string(output_type);
    j["description"] = source(description);
    j["doc_to_text"] = source(doc_to_text);
    j["doc_to_target"] = source(doc_to_target);
    if (doc_to_choice) {
        j["doc_to_choice"] = doc_to_choice->source();
    } else if (!doc_to_choice_list.empty()) {
        auto list = nlohmann::ordered_json::array();
        for (const auto& c : doc_to_choice_list) list.push_back(c.source());
        j["doc_to_choice"] = list;
    } else {
        j["doc_to_choice"] = nullptr;
    }
    j["choices_in"] = choices_in_context ? "context" : "continuation";
    j["doc_to_gold"] = source(doc_to_gold);
    j["target_delimiter"] = target_delimiter;
    j["fewshot_delimiter"] = fewshot_delimiter;
    j["num_fewshot"] = num_fewshot;
    j["fewshot"] = fewshot ? nlohmann::ordered_json{{"split", fewshot->split}, {"sampler", fewshot->sampler}} : nlohmann::ordered_json();
    auto metric_list = nlohmann::ordered_json::array();
    for (const auto& m : metrics) {
        nlohmann::ordered_json mj = {{"metric", m.name}};
        if (m.name == "exact_match")
            mj.update({{"ignore_case", m.ignore_case}, {"ignore_punctuation", m.ignore_punctuation}, {"regexes_to_ignore", m.regexes_to_ignore}});
        if (m.labels) mj["labels"] = m.labels->source();
        metric_list.push_back(mj);
    }
    j["metrics"] = metric_list;
    auto filter_list = nlohmann::ordered_json::array();
    for (const auto& f : filters)
        filter_list.push_back({{"name", f.name}, {"regex", f.regex}, {"group_select", f.group_select}, {"fallback", f.fallback}});
    j["filters"] = filter_list;
    j["generation"] = output_type == OutputType::generate_until
                          ? nlohmann::ordered_json{{"until", generation.until}, {"max_gen_toks", generation.max_gen_toks}}
                          : nlohmann::ordered_json();
    j["count_units_in"] = source(count_units_in);
    return j;
}

bool is_suite_file(const std::string& path) {
    const YAML::Node node = load_yaml_file(path);
    return node.IsMap() && node["group"];
}

SuiteConfig load_suite_file(const std::string& path) {
    const YamlMap map(load_yaml_file(path), path, "suite file");
    map.reject_unknown({"group", "version", "description", "tasks", "aggregate"});
    SuiteConfig s;
    s.file = path;
    s.name = map.required_string("group");
    s.version = map.required_string("version");
    s.description = map.string_or("description", "");
    s.members = map.string_list("tasks");
    if (s.members.empty()) throw map.error("tasks", "must list at least one task or suite");
    s.aggregate = map.boolean_or("aggregate", false);
    return s;
}

}  // namespace flopwise::eval
