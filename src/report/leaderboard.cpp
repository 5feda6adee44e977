#include "flopwise/report/leaderboard.hpp"

#include <algorithm>
#include <cmath>

#include "flopwise/error.hpp"

namespace flopwise::report {

namespace {

constexpr double kZ95 = 1.959963984540054;

std::vector<std::string> task_names(const std::vector<ModelEntry>& entries) {
    std::vector<std::string> names;
    const auto add = [&](const std::string& n) {
        if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    };
    for (const auto& e : entries)
        if (e.run)
            for (const auto& t : e.run->tasks)
                if (!t.in_group) add(t.name);
    if (names.empty())
        for (const auto& e : entries)
            if (e.facts)
                for (const auto& s : e.facts->reported) add(s.task);
    return names;
}

std::string column_metric(const std::string& task, const std::vector<ModelEntry>& entries, const ModelEntry* baseline,
                          const std::vector<std::string>& overrides) {
    for (const auto& o : overrides) {
        const size_t eq = o.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == o.size()) throw Error("--metric '" + o + "': expected TASK=METRIC");
        if (o.substr(0, eq) == task) return o.substr(eq + 1);
    }
    if (baseline && !baseline->measured() && baseline->facts)
        if (const ReportedScore* s = baseline->facts->reported_score(task)) return s->metric;
    for (const auto& e : entries)
        if (e.run)
            if (const TaskFigures* t = e.run->task(task))
                for (const auto& m : t->metrics)
                    if (m.aggregation == "mean") return m.key;
    for (const auto& e : entries)
        if (e.facts)
            if (const ReportedScore* s = e.facts->reported_score(task)) return s->metric;
    return "acc";
}

LeaderboardCell measured_cell(const Run& run, const TaskColumn& column) {
    LeaderboardCell cell;
    const TaskFigures* t = run.task(column.task);
    if (!t) {
        cell.note = "not run";
        return cell;
    }
    cell.num_fewshot = t->num_fewshot;
    cell.documents = t->documents_scored;
    const MetricFigure* m = t->metric(column.metric);
    if (!m) {
        cell.note = "the run has no '" + column.metric + "'";
        return cell;
    }
    cell.value = m->value;
    if (m->stderr_value) {
        cell.standard_error = m->stderr_value;
        cell.ci_low = m->value - kZ95 * *m->stderr_value;
        cell.ci_high = m->value + kZ95 * *m->stderr_value;
        // A mean of per-document scores in [0, 1] (accuracy, exact match, MC2) cannot leave that range,
        // however few the documents behind the normal approximation.
        if (m->aggregation == "mean") {
            cell.ci_low = std::max(*cell.ci_low, 0.0);
            cell.ci_high = std::min(*cell.ci_high, 1.0);
        }
    }
    return cell;
}

LeaderboardCell reported_cell(const ModelFacts& facts, const TaskColumn& column) {
    LeaderboardCell cell;
    cell.reported = true;
    const ReportedScore* s = facts.reported_score(column.task, column.metric);
    if (!s) {
        if (const ReportedScore* other = facts.reported_score(column.task))
            cell.note = "published as " + other->metric + " only (not shown: a different metric)";
        else
            cell.note = "not published";
        return cell;
    }
    cell.value = s->value;
    cell.num_fewshot = s->num_fewshot;
    cell.source = s->source;
    cell.note = s->note;
    return cell;
}

void mark_pareto(std::vector<LeaderboardRow>& rows, size_t task_count) {
    const auto eligible = [&](const LeaderboardRow& r) {
        return r.average && r.flops_per_token && r.average_tasks == static_cast<int32_t>(task_count);
    };
    for (auto& r : rows) {
        if (!eligible(r)) continue;
        r.pareto = std::none_of(rows.begin(), rows.end(), [&](const LeaderboardRow& o) {
            if (&o == &r || !eligible(o)) return false;
            const bool no_worse = *o.flops_per_token <= *r.flops_per_token && *o.average >= *r.average;
            const bool better = *o.flops_per_token < *r.flops_per_token || *o.average > *r.average;
            return no_worse && better;
        });
    }
}

}  // namespace

Leaderboard build_leaderboard(const std::vector<ModelEntry>& entries, const LeaderboardOptions& options) {
    Leaderboard board;
    board.title = options.title;
    board.context = options.context;
    const ModelEntry* baseline = options.baseline ? &find_entry(entries, *options.baseline) : nullptr;
    for (const auto& task : task_names(entries)) board.tasks.push_back({task, column_metric(task, entries, baseline, options.metric_overrides)});

    for (const auto& e : entries) {
        LeaderboardRow row;
        row.label = e.label;
        row.reported = !e.measured();
        row.baseline = &e == baseline;
        double sum = 0.0, variance = 0.0;
        bool all_errors = true;
        for (const auto& column : board.tasks) {
            row.cells.push_back(e.run ? measured_cell(*e.run, column)
                                      : (e.facts ? reported_cell(*e.facts, column) : LeaderboardCell{}));
            const auto& cell = row.cells.back();
            if (!cell.value) continue;
            sum += *cell.value;
            ++row.average_tasks;
            if (cell.standard_error) variance += *cell.standard_error * *cell.standard_error;
            else all_errors = false;
        }
        if (row.average_tasks > 0) {
            row.average = sum / row.average_tasks;
            if (!row.reported && all_errors) {
                const double half = kZ95 * std::sqrt(variance) / row.average_tasks;
                row.average_ci_low = *row.average - half;
                row.average_ci_high = *row.average + half;
            }
        }
        if (e.facts) {
            row.flops_per_token = e.facts->flops_per_token;
            row.flops_basis = e.facts->flops_basis;
            row.training_flops = e.facts->training_flops;
            row.params_total = e.facts->params_total;
            row.params_active = e.facts->params_active;
        }
        if (e.run) {
            if (e.run->directories.size() > 1) {
                std::string dirs;
                for (const auto& d : e.run->directories) dirs += (dirs.empty() ? "" : ", ") + d;
                board.notes.push_back("'" + e.label + "' combines runs of one model (equal model keys): " + dirs + "; a task in several takes the last");
            }
            if (e.run->flops_source == "counted") row.counted_flops_per_token = e.run->flops_per_token;
            row.metadata = e.run->metadata;
            row.metadata["directory"] = e.run->directory;
            row.metadata["model"] = {{"name", e.run->model_name},     {"spec", e.run->spec},
                                     {"backend", e.run->backend},     {"architecture", e.run->architecture},
                                     {"quantization", e.run->quantization}, {"file_sha256", e.run->file_sha256},
                                     {"key", e.run->model_key},       {"parameters", e.run->parameters},
                                     {"flops", e.run->flops_source}};
        } else if (e.facts) {
            row.metadata = {{"card", e.facts->card_name}, {"file", e.facts->card_path}};
        }
        if (row.average && row.flops_per_token && *row.flops_per_token > 0) row.accuracy_per_tflop = *row.average / (*row.flops_per_token * 1e-12);
        board.rows.push_back(std::move(row));
    }
    if (baseline) {
        for (size_t i = 0; i < board.rows.size(); ++i)
            if (board.rows[i].baseline) board.baseline = i;
        const auto& base = board.rows[*board.baseline];
        if (base.flops_per_token && *base.flops_per_token > 0)
            for (auto& r : board.rows)
                if (r.flops_per_token) r.relative_compute = *r.flops_per_token / *base.flops_per_token;
    }
    mark_pareto(board.rows, board.tasks.size());
    std::stable_sort(board.rows.begin(), board.rows.end(), [](const LeaderboardRow& a, const LeaderboardRow& b) {
        if (a.average.has_value() != b.average.has_value()) return a.average.has_value();
        return a.average && *a.average > *b.average;
    });
    board.baseline.reset();
    for (size_t i = 0; i < board.rows.size(); ++i)
        if (board.rows[i].baseline) board.baseline = i;
    if (std::any_of(board.rows.begin(), board.rows.end(), [&](const LeaderboardRow& r) { return r.average && r.average_tasks < static_cast<int32_t>(board.tasks.size()); }))
        board.notes.push_back("an average over fewer tasks than the columns (marked with the count) is not comparable with the others; such rows stay off the Pareto frontier");
    if (std::any_of(board.rows.begin(), board.rows.end(), [](const LeaderboardRow& r) { return r.reported; }))
        board.notes.push_back("reported figures are the models' authors' own, from their evaluation setups (prompts, shots, harness); measured ones are flopwise runs");
    return board;
}

}  // namespace flopwise::report
