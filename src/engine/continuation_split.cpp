#include "flopwise/continuation_split.hpp"

#include "flopwise/error.hpp"

namespace flopwise {

ScoreRequest split_continuation(const Tokenizer& tokenizer, std::string_view context, std::string_view continuation) {
    size_t spaces = 0;
    while (spaces < context.size() && context[context.size() - 1 - spaces] == ' ') ++spaces;
    const std::string ctx(context.substr(0, context.size() - spaces));
    const std::string cont = std::string(context.substr(context.size() - spaces)) + std::string(continuation);

    ScoreRequest request;
    const std::vector<TokenId> whole = tokenizer.encode(ctx + cont);
    request.context = tokenizer.encode(ctx);
    size_t split = request.context.size();
    // A context ending in a partial token can tokenize longer alone than inside the whole text;
    // never let the continuation start before the text it belongs to.
    if (split > whole.size()) split = whole.size();
    request.continuation.assign(whole.begin() + static_cast<std::ptrdiff_t>(split), whole.end());
    if (request.context.empty()) {
        const TokenId stand_in = tokenizer.bos() >= 0 ? tokenizer.bos() : tokenizer.eos();
        if (stand_in < 0) throw Error("empty context and the vocabulary has neither BOS nor EOS to stand in for it");
        request.context.push_back(stand_in);
    }
    return request;
}

}  // namespace flopwise
