#include "engine_options.hpp"

#include "flopwise/error.hpp"

namespace flopwise::cli {

Engine::Options engine_options(Args& args) {
    Engine::Options options;
    options.threads = static_cast<int32_t>(args.integer("threads", 0, 0, 1024));
    options.batch_tokens = static_cast<int32_t>(args.integer("batch-tokens", 512, 1, 1 << 16));
    options.max_context = static_cast<int32_t>(args.integer("max-context", 0, 0, 1 << 24));
    options.int8_activations = args.flag("int8-activations");
    if (const auto device = args.value("device")) {
        const auto known = compute_device_from_name(*device);
        if (!known) throw Error("--device '" + *device + "': expected cpu or cuda");
        options.device = *known;
    }
    return options;
}

}  // namespace flopwise::cli
