#include "flopwise/eval/request_cache.hpp"

#include <chrono>
#include <filesystem>

#include <sqlite3.h>

#include "flopwise/error.hpp"

namespace flopwise::eval {

namespace {

// A prepared statement, finalized on every path out.
class Statement {
public:
    Statement(sqlite3* db, const char* sql, const std::string& path) : path_(path) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
            throw Error(path + ": request cache: " + sqlite3_errmsg(db));
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    void bind(int i, const std::string& text) { sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT); }
    void bind(int i, int64_t value) { sqlite3_bind_int64(stmt_, i, value); }
    int step() { return sqlite3_step(stmt_); }
    void reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    std::string text(int column) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
        return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
    }
    int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }

private:
    sqlite3_stmt* stmt_ = nullptr;
    std::string path_;
};

}  // namespace

RequestCache::RequestCache(const std::string& path) : path_(path) {
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
        const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        throw Error(path + ": cannot open request cache: " + why);
    }
    sqlite3_busy_timeout(db_, 10000);
    try {
        // WAL with synchronous=NORMAL: a committed batch survives the process being killed.
        exec("PRAGMA journal_mode=WAL");
        exec("PRAGMA synchronous=NORMAL");
        exec("CREATE TABLE IF NOT EXISTS responses ("
             " key TEXT PRIMARY KEY,"
             " kind TEXT NOT NULL,"
             " request TEXT NOT NULL,"
             " response TEXT NOT NULL,"
             " created_unix INTEGER NOT NULL)");
    } catch (...) {
        sqlite3_close(db_);
        throw;
    }
}

RequestCache::~RequestCache() { sqlite3_close(db_); }

void RequestCache::exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        const std::string why = message ? message : sqlite3_errmsg(db_);
        sqlite3_free(message);
        throw Error(path_ + ": request cache: " + why + " (is it a flopwise request cache?)");
    }
}

std::optional<nlohmann::ordered_json> RequestCache::find(const std::string& key) {
    Statement s(db_, "SELECT response FROM responses WHERE key = ?1", path_);
    s.bind(1, key);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) throw Error(path_ + ": request cache: " + sqlite3_errmsg(db_));
    try {
        return nlohmann::ordered_json::parse(s.text(0));
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;  // an unreadable entry is asked again, not trusted
    }
}

void RequestCache::store(const std::vector<Entry>& entries) {
    if (entries.empty()) return;
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    exec("BEGIN IMMEDIATE");
    try {
        Statement s(db_, "INSERT OR REPLACE INTO responses (key, kind, request, response, created_unix) VALUES (?1, ?2, ?3, ?4, ?5)", path_);
        for (const auto& e : entries) {
            s.bind(1, e.key);
            s.bind(2, e.kind);
            s.bind(3, e.request.dump());
            s.bind(4, e.response.dump());
            s.bind(5, now);
            if (s.step() != SQLITE_DONE) throw Error(path_ + ": request cache: " + sqlite3_errmsg(db_));
            s.reset();
        }
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

int64_t RequestCache::size() {
    Statement s(db_, "SELECT COUNT(*) FROM responses", path_);
    if (s.step() != SQLITE_ROW) throw Error(path_ + ": request cache: " + sqlite3_errmsg(db_));
    return s.integer(0);
}

int64_t RequestCache::merge(const std::string& other_path) {
    if (!std::filesystem::is_regular_file(other_path)) throw Error(other_path + ": no such request cache");
    {
        Statement attach(db_, "ATTACH DATABASE ?1 AS other", path_);
        attach.bind(1, other_path);
        if (attach.step() != SQLITE_DONE) throw Error(other_path + ": cannot open request cache: " + sqlite3_errmsg(db_));
    }
    int64_t added = 0;
    try {
        exec("BEGIN IMMEDIATE");
        try {
            Statement copy(db_,
                           "INSERT OR IGNORE INTO main.responses (key, kind, request, response, created_unix)"
                           " SELECT key, kind, request, response, created_unix FROM other.responses",
                           other_path);
            if (copy.step() != SQLITE_DONE) throw Error(other_path + ": request cache: " + sqlite3_errmsg(db_));
            added = sqlite3_changes(db_);
            exec("COMMIT");
        } catch (...) {
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
    } catch (...) {
        sqlite3_exec(db_, "DETACH DATABASE other", nullptr, nullptr, nullptr);
        throw;
    }
    exec("DETACH DATABASE other");
    return added;
}

}  // namespace flopwise::eval
