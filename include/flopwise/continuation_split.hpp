#pragma once
#include <string_view>

#include "flopwise/engine.hpp"
#include "flopwise/tokenizer.hpp"

namespace flopwise {

// Turns (context, continuation) text into a ScoreRequest the way lm-evaluation-harness does:
// trailing spaces of the context move to the continuation, context + continuation is tokenized as
// one text, and the continuation is the tokens after the context's own tokenization, so a token
// spanning the join belongs to the continuation. The context starts with BOS when the vocabulary
// adds one; when it would otherwise be empty, BOS (or EOS) stands in for it.
ScoreRequest split_continuation(const Tokenizer& tokenizer, std::string_view context, std::string_view continuation);

}  // namespace flopwise
