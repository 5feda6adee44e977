#include "flopwise/eval/dataset_pull.hpp"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>

#include <curl/curl.h>

#include "flopwise/error.hpp"
#include "flopwise/file_hash.hpp"

namespace flopwise::eval {

namespace {

size_t write_to_file(char* data, size_t size, size_t count, void* file) {
    return std::fwrite(data, size, count, static_cast<std::FILE*>(file)) * size;
}

// Downloads `url` into `path`; throws Error with curl's reason on failure.
void download(const std::string& url, const std::string& path) {
    static std::once_flag init;
    std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "wb"), &std::fclose);
    if (!file) throw Error(path + ": cannot write");
    std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) throw Error("libcurl could not start");
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &write_to_file);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, file.get());
    curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 30L);
    // Give up on a stalled transfer (under 1 KB/s for a minute) rather than hang.
    curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "flopwise-datasets-pull");
    const CURLcode rc = curl_easy_perform(curl.get());
    if (rc != CURLE_OK) throw Error(url + ": download failed: " + (error[0] ? error : curl_easy_strerror(rc)));
    if (std::fflush(file.get()) != 0) throw Error(path + ": write failed");
}

}  // namespace

PullReport pull_dataset(const DatasetManifest& manifest, const std::string& data_dir, const std::string& base_url, bool replace_mismatched,
                        std::FILE* log) {
    PullReport report;
    for (const auto& f : manifest.files) {
        const std::filesystem::path destination = std::filesystem::path(data_dir) / manifest.folder / f.name;
        if (std::filesystem::exists(destination)) {
            const std::string actual = sha256_file(destination.string());
            if (actual == f.sha256) {
                ++report.present;
                continue;
            }
            if (!replace_mismatched) {
                report.problems.push_back(destination.string() + ": sha256 " + actual + " does not match the manifest's " + f.sha256 +
                                          " (use --replace to download it again)");
                continue;
            }
        }
        std::string url = f.url;
        if (!base_url.empty()) url = base_url + (base_url.back() == '/' ? "" : "/") + manifest.folder + "/" + f.name;
        const std::string partial = destination.string() + ".partial";
        try {
            std::filesystem::create_directories(destination.parent_path());
            if (log) std::fprintf(log, "%s: fetching %s\n", manifest.name.c_str(), url.c_str());
            download(url, partial);
            const std::string actual = sha256_file(partial);
            if (actual != f.sha256) throw Error(url + ": downloaded file has sha256 " + actual + ", the manifest expects " + f.sha256);
            std::filesystem::rename(partial, destination);
            ++report.downloaded;
        } catch (const std::exception& e) {
            std::error_code ignored;
            std::filesystem::remove(partial, ignored);
            report.problems.push_back(e.what());
        }
    }
    return report;
}

}  // namespace flopwise::eval
