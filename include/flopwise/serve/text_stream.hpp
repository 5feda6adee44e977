#pragma once
#include <string>
#include <vector>

namespace flopwise::serve {

// Decides how much of a growing generated text may go to a streaming client: never a tail that a
// stop string could still cut off (the engine cuts the text where a stop string begins), never
// half of a UTF-8 character.
class TextStream {
public:
    explicit TextStream(std::vector<std::string> stops) : stops_(std::move(stops)) {}
    // The text not sent yet that is safe to send, given the text so far of an unfinished generation.
    std::string advance(const std::string& text);
    // Everything not sent yet of the final text.
    std::string finish(const std::string& final_text);

private:
    std::vector<std::string> stops_;
    size_t sent_ = 0;
};

}  // namespace flopwise::serve
