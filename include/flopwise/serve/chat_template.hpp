#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace flopwise::serve {

struct ChatMessage {
    std::string role;  // "system", "user" or "assistant"
    std::string content;
};

// A chat template implemented in C++ (there is no Jinja engine here): a GGUF file's
// tokenizer.chat_template is recognised by its distinctive markers, or a built-in one is named.
// The rendered text carries the template's special tokens as text (BOS included where the template
// writes it), so it is encoded with special tokens parsed and without adding another BOS.
class ChatTemplate {
public:
    // "gemma", "chatml", "smollm" or "llama3"; anything else throws Error listing these.
    static ChatTemplate named(std::string_view name);
    // Recognises a Jinja template from GGUF metadata; throws Error when it is none of the known ones.
    static ChatTemplate recognise(std::string_view jinja);
    static std::vector<std::string> names();

    const std::string& name() const { return name_; }
    // The conversation followed by the prompt for the assistant's turn. Throws Error naming the
    // message at fault (unknown role, a system message out of place, roles not alternating).
    std::string render(const std::vector<ChatMessage>& messages) const;

private:
    enum class Kind { gemma, chatml, llama3 };
    ChatTemplate(std::string name, Kind kind, std::string default_system = {})
        : name_(std::move(name)), kind_(kind), default_system_(std::move(default_system)) {}
    std::string render_gemma(const std::vector<ChatMessage>& messages) const;
    std::string render_chatml(const std::vector<ChatMessage>& messages) const;
    std::string render_llama3(const std::vector<ChatMessage>& messages) const;

    std::string name_;
    Kind kind_;
    std::string default_system_;  // ChatML: system turn added when the conversation has none
};

}  // namespace flopwise::serve
