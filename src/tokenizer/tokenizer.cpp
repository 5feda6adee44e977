#include "flopwise/tokenizer.hpp"

#include <algorithm>

#include "bpe_tokenizer.hpp"
#include "flopwise/error.hpp"
#include "spm_tokenizer.hpp"

namespace flopwise {

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const gguf::File& file) {
    const std::string& model = file.get_string("tokenizer.ggml.model");
    if (model == "llama") return std::make_unique<SpmTokenizer>(file);
    if (model == "gpt2") return std::make_unique<BpeTokenizer>(file);
    throw Error(file.describe("tokenizer.ggml.model = '" + model + "' is not supported (supported: llama, gpt2)"));
}

std::string Tokenizer::decode(const std::vector<TokenId>& ids) const {
    std::string text;
    for (TokenId id : ids) text += token_to_piece(id);
    return text;
}

bool Tokenizer::is_end_of_generation(TokenId id) const {
    return std::find(end_of_generation_.begin(), end_of_generation_.end(), id) != end_of_generation_.end();
}

}  // namespace flopwise
