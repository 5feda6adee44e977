#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

struct sqlite3;

namespace flopwise::eval {

// Answers already obtained, in a SQLite file keyed by model identity and request (see
// request_key). Each batch of answers is committed in one transaction as it arrives, in WAL mode,
// so a run killed at any moment keeps every batch it finished and a rerun asks only for the rest.
// Failed answers are never stored.
class RequestCache {
public:
    struct Entry {
        std::string key;
        std::string kind;
        nlohmann::ordered_json request;
        nlohmann::ordered_json response;
    };

    // Opens or creates the file (and its folder); a file that is not a cache throws Error.
    explicit RequestCache(const std::string& path);
    ~RequestCache();
    RequestCache(const RequestCache&) = delete;
    RequestCache& operator=(const RequestCache&) = delete;

    std::optional<nlohmann::ordered_json> find(const std::string& key);
    void store(const std::vector<Entry>& entries);
    int64_t size();
    // Copies every answer of another cache file into this one, keeping answers already here;
    // returns how many were new. A file that is not a request cache throws Error.
    int64_t merge(const std::string& other_path);

private:
    void exec(const char* sql);
    std::string path_;
    sqlite3* db_ = nullptr;
};

}  // namespace flopwise::eval
