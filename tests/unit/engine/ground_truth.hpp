#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flopwise/tokenizer.hpp"

namespace flopwise::test {

// Runs the float64 NumPy forward pass (tests/reference/forward64.py) over `tokens` as one sequence
// and returns its JSON: next_token_logprob[i], argmax[i], top2_margin[i] for each position i.
nlohmann::json ground_truth_sequence(const std::string& model, const std::vector<TokenId>& tokens);
// The same tool's windowed perplexity over a token stream.
nlohmann::json ground_truth_perplexity(const std::string& model, const std::vector<TokenId>& tokens, int ctx, int chunks);
// A random-weight model written by tools/make_random_model.py (cached per build tree).
std::string random_model(const std::string& arch, const std::string& type);
// A few paragraphs of WikiText-2 (validation split), unseen by the tests' thresholds.
std::string wikitext_paragraphs(size_t first_line, size_t max_bytes);

}  // namespace flopwise::test
