#include <cstdio>

#include "command.hpp"
#include "flopwise/engine.hpp"
#include "flopwise/tokenizer.hpp"
#include "text_input.hpp"

namespace flopwise::cli {
namespace {

int run(Args& args) {
    const std::string path = gguf_path_from_spec(args.required("model"));
    const std::string text = read_text_input(args);
    EncodeOptions options;
    options.add_bos = !args.flag("no-bos");
    options.parse_special = args.flag("special");
    const bool pieces = args.flag("pieces");
    args.finish();
    // Only the tokenizer is loaded, so vocabulary-only GGUF files work too.
    auto file = gguf::File::open(path);
    auto tokenizer = Tokenizer::from_gguf(*file);
    const auto ids = tokenizer->encode(text, options);
    for (size_t i = 0; i < ids.size(); ++i) {
        if (pieces) std::printf("%d\t%s\n", ids[i], tokenizer->token_text(ids[i]).c_str());
        else std::printf(i ? " %d" : "%d", ids[i]);
    }
    if (!pieces) std::printf("\n");
    return 0;
}

const CommandRegistration registration({"tokenize", "--model M (--text T | --text-file F) [--no-bos] [--special] [--pieces]",
                                        "print the token ids of a text (works on vocabulary-only GGUF files)", run});

}  // namespace
}  // namespace flopwise::cli
