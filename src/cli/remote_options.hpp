#pragma once
#include "args.hpp"
#include "flopwise/backends.hpp"

namespace flopwise::cli {

// --base-url, --api-key-env, --request-timeout, --max-concurrency, --rpm, --tpm, --max-retries,
// --retry-delay, --system-prompt, --chat-fewshot, --card, --prices: the options of remote API backends.
RemoteOptions remote_options(Args& args);
// The flags among them that were given, as words for the record of the command (no key is a flag).
std::vector<std::string> remote_flags(const RemoteOptions& options);

}  // namespace flopwise::cli
