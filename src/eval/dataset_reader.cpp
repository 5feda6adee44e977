#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "flopwise/eval/dataset.hpp"
#include "flopwise/error.hpp"
#include "flopwise/file_hash.hpp"

namespace flopwise::eval {

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot open file");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Lines without their LF or CRLF ending; a final newline does not start another line.
std::vector<std::string> split_lines(const std::string& bytes) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < bytes.size()) {
        size_t end = bytes.find('\n', start);
        if (end == std::string::npos) end = bytes.size();
        std::string line = bytes.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(std::move(line));
        start = end + 1;
    }
    return lines;
}

std::string strip_bom(const std::string& bytes) { return bytes.rfind("\xEF\xBB\xBF", 0) == 0 ? bytes.substr(3) : bytes; }

Doc typed(const std::string& text, const std::string& type, const std::string& where) {
    if (type == "string") return text;
    try {
        size_t used = 0;
        if (type == "int") {
            const long long v = std::stoll(text, &used);
            if (used == text.size()) return static_cast<int64_t>(v);
        } else {
            const double v = std::stod(text, &used);
            if (used == text.size()) return v;
        }
    } catch (const std::exception&) {
    }
    throw Error(where + ": '" + text + "' is not a valid " + type);
}

std::vector<Doc> read_jsonl(const std::string& bytes, const std::string& where) {
    std::vector<Doc> out;
    const auto lines = split_lines(bytes);
    for (size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].find_first_not_of(" \t") == std::string::npos) continue;
        const std::string at = where + ":" + std::to_string(i + 1);
        Doc record;
        try {
            record = Doc::parse(lines[i]);
        } catch (const nlohmann::json::exception& e) {
            throw Error(at + ": invalid JSON: " + e.what());
        }
        if (!record.is_object()) throw Error(at + ": expected a JSON object per line");
        out.push_back(std::move(record));
    }
    return out;
}

std::vector<Doc> read_json(const std::string& bytes, const std::string& where) {
    Doc all;
    try {
        all = Doc::parse(strip_bom(bytes));
    } catch (const nlohmann::json::exception& e) {
        throw Error(where + ": invalid JSON: " + e.what());
    }
    if (!all.is_array()) throw Error(where + ": expected a JSON list of records");
    std::vector<Doc> out;
    for (size_t i = 0; i < all.size(); ++i) {
        if (!all[i].is_object()) throw Error(where + ": record " + std::to_string(i) + " is not a JSON object");
        out.push_back(std::move(all[i]));
    }
    return out;
}

// RFC 4180: comma-separated, fields in double quotes may hold commas, newlines and "" for a quote.
std::vector<std::vector<std::string>> parse_csv(const std::string& bytes, const std::string& where, std::vector<size_t>& row_lines) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false, field_started = false;
    size_t line = 1, row_line = 1;
    auto end_field = [&] {
        row.push_back(std::move(field));
        field.clear();
        field_started = false;
    };
    auto end_row = [&] {
        end_field();
        rows.push_back(std::move(row));
        row_lines.push_back(row_line);
        row.clear();
    };
    for (size_t i = 0; i < bytes.size(); ++i) {
        const char c = bytes[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < bytes.size() && bytes[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                if (c == '\n') ++line;
                field += c;
            }
            continue;
        }
        if (c == '"' && !field_started) {
            quoted = field_started = true;
        } else if (c == ',') {
            end_field();
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') ++i;
            end_row();
            ++line;
            row_line = line;
        } else {
            field += c;
            field_started = true;
        }
    }
    if (quoted) throw Error(where + ":" + std::to_string(row_line) + ": a quoted field is never closed");
    if (field_started || !row.empty()) end_row();
    return rows;
}

std::vector<Doc> read_csv(const std::string& bytes, const SplitFormat& format, const std::string& where) {
    std::vector<size_t> lines;
    const auto rows = parse_csv(strip_bom(bytes), where, lines);
    if (rows.empty()) throw Error(where + ": empty CSV file (a header row is required)");
    const auto& header = rows.front();
    for (const auto& [field, type] : format.types)
        if (std::find(header.begin(), header.end(), field) == header.end()) throw Error(where + ": the header has no column '" + field + "'");
    std::vector<Doc> out;
    for (size_t r = 1; r < rows.size(); ++r) {
        const std::string at = where + ":" + std::to_string(lines[r]);
        if (rows[r].size() != header.size())
            throw Error(at + ": " + std::to_string(rows[r].size()) + " fields, the header has " + std::to_string(header.size()));
        Doc record = Doc::object();
        for (size_t c = 0; c < header.size(); ++c) {
            const auto type = format.types.find(header[c]);
            record[header[c]] = typed(rows[r][c], type == format.types.end() ? "string" : type->second, at + ": column '" + header[c] + "'");
        }
        out.push_back(std::move(record));
    }
    return out;
}

struct LineField {
    std::string name;
    size_t count = 0;  // 0: a single line; N: a list of N lines
};

std::vector<Doc> read_line_records(const std::string& bytes, const SplitFormat& format, const std::string& where) {
    std::vector<LineField> fields;
    size_t lines_per_record = 0;
    for (const auto& f : format.fields) {
        LineField lf{f, 0};
        const size_t open = f.find('[');
        if (open != std::string::npos) {
            if (f.back() != ']') throw Error(where + ": field '" + f + "' must be NAME or NAME[N]");
            lf.name = f.substr(0, open);
            lf.count = static_cast<size_t>(std::stoul(f.substr(open + 1, f.size() - open - 2)));
            if (lf.count == 0) throw Error(where + ": field '" + f + "' collects no lines");
        }
        lines_per_record += std::max<size_t>(lf.count, 1);
        fields.push_back(lf);
    }
    const auto lines = split_lines(bytes);
    if (lines.size() % lines_per_record != 0)
        throw Error(where + ": " + std::to_string(lines.size()) + " lines is not a whole number of " + std::to_string(lines_per_record) +
                    "-line records");
    std::vector<Doc> out;
    for (size_t start = 0; start < lines.size(); start += lines_per_record) {
        Doc record = Doc::object();
        size_t line = start;
        for (const auto& f : fields) {
            const auto type = format.types.find(f.name);
            const std::string& t = type == format.types.end() ? std::string("string") : type->second;
            if (f.count == 0) {
                record[f.name] = typed(lines[line], t, where + ":" + std::to_string(line + 1));
                ++line;
            } else {
                Doc list = Doc::array();
                for (size_t k = 0; k < f.count; ++k, ++line) list.push_back(typed(lines[line], t, where + ":" + std::to_string(line + 1)));
                record[f.name] = std::move(list);
            }
        }
        out.push_back(std::move(record));
    }
    return out;
}

std::string fill_subset(const std::string& name, const std::string& subset, const DatasetManifest& manifest) {
    const size_t at = name.find("{subset}");
    if (at == std::string::npos) return name;
    if (subset.empty()) throw Error(manifest.path + ": file '" + name + "' needs a subset (the task's dataset.subset)");
    return name.substr(0, at) + subset + name.substr(at + 8);
}

}  // namespace

std::vector<Doc> read_records(const std::string& bytes, const SplitFormat& format, const std::string& where) {
    if (format.format == "jsonl") return read_jsonl(bytes, where);
    if (format.format == "json") return read_json(bytes, where);
    if (format.format == "csv") return read_csv(bytes, format, where);
    if (format.format == "line_records") return read_line_records(bytes, format, where);
    if (format.format == "text") return {Doc{{"text", bytes}}};
    throw Error(where + ": unknown format '" + format.format + "'");
}

std::string DataVerifier::path_of(const DatasetManifest& manifest, const std::string& file) const {
    return (std::filesystem::path(data_dir_) / manifest.folder / file).string();
}

DataFileUse DataVerifier::verify(const DatasetManifest& manifest, const std::string& file) {
    const DataFile& listed = manifest.file(file);
    const std::string path = path_of(manifest, file);
    if (!std::filesystem::exists(path))
        throw Error("dataset '" + manifest.name + "': file " + path + " is missing (get it with: flopwise datasets pull --data-dir " + data_dir_ +
                    ")");
    auto it = hashed_.find(path);
    if (it == hashed_.end()) it = hashed_.emplace(path, sha256_file(path)).first;
    if (it->second != listed.sha256)
        throw Error("dataset '" + manifest.name + "': file " + path + " has sha256 " + it->second + ", but " + manifest.path + " expects " +
                    listed.sha256 + " (a different or corrupted copy)");
    return {file, path, it->second};
}

LoadedSplit load_split(const DatasetManifest& manifest, const std::string& split_name, const std::string& subset, DataVerifier& verifier) {
    const SplitFormat& format = manifest.split(split_name);
    LoadedSplit out;
    const std::string file = fill_subset(format.file, subset, manifest);
    out.files.push_back(verifier.verify(manifest, file));
    out.docs = read_records(read_file(out.files.back().path), format, out.files.back().path);
    for (const auto& join : format.join_lines) {
        const std::string joined_file = fill_subset(join.file, subset, manifest);
        out.files.push_back(verifier.verify(manifest, joined_file));
        const std::string& path = out.files.back().path;
        const auto lines = split_lines(read_file(path));
        if (lines.size() != out.docs.size())
            throw Error(path + ": " + std::to_string(lines.size()) + " lines, but " + out.files.front().path + " has " +
                        std::to_string(out.docs.size()) + " records to align them with");
        for (size_t i = 0; i < lines.size(); ++i) out.docs[i][join.field] = typed(lines[i], join.type, path + ":" + std::to_string(i + 1));
    }
    if (format.records && static_cast<int64_t>(out.docs.size()) != *format.records)
        throw Error(out.files.front().path + ": " + std::to_string(out.docs.size()) + " records, but " + manifest.path + " expects " +
                    std::to_string(*format.records));
    return out;
}

}  // namespace flopwise::eval
