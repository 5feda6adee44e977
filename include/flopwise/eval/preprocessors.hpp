#pragma once
#include <string>
#include <vector>

#include "flopwise/eval/template.hpp"

namespace flopwise::eval {

// A dataset transformation written in C++ for what a template cannot express (lm-evaluation-
// harness's process_docs). It sees the whole split and may change the number of documents.
using Preprocessor = std::vector<Doc> (*)(std::vector<Doc> docs);

// The preprocessor a task names with `preprocessor: NAME`; an unknown name throws Error listing
// the known ones.
Preprocessor find_preprocessor(const std::string& name);

// HellaSwag from its 6-lines-per-item text form {ctx, label, endings} to lm-evaluation-harness's
// documents {query, choices, gold} (preprocess_hellaswag.cpp).
std::vector<Doc> preprocess_hellaswag(std::vector<Doc> docs);
// WikiText from one {text} record to one document per article {page, detokenized}, as
// lm-evaluation-harness's wikitext_document_level dataset and detokenizer make them
// (preprocess_wikitext.cpp).
std::vector<Doc> preprocess_wikitext_documents(std::vector<Doc> docs);

}  // namespace flopwise::eval
