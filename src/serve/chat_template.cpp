#include "flopwise/serve/chat_template.hpp"

#include "flopwise/error.hpp"

namespace flopwise::serve {
namespace {

// Jinja's `trim` filter: surrounding whitespace removed.
std::string trimmed(const std::string& text) {
    const char* space = " \t\n\r\f\v";
    const size_t first = text.find_first_not_of(space);
    if (first == std::string::npos) return {};
    return text.substr(first, text.find_last_not_of(space) - first + 1);
}

std::string message_name(size_t index) { return "messages[" + std::to_string(index) + "]"; }

// The system turn a ChatML template writes when the conversation has none, e.g. SmolLM2's
// "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, ...<|im_end|>\n"; empty when none.
// The newline may appear in the template as a real newline or as Jinja's "\n" escape.
std::string chatml_default_system(std::string_view jinja) {
    for (std::string_view opening : {"<|im_start|>system\n", "<|im_start|>system\\n"}) {
        const size_t start = jinja.find(opening);
        if (start == std::string_view::npos) continue;
        const size_t text = start + opening.size();
        const size_t end = jinja.find("<|im_end|>", text);
        if (end == std::string_view::npos) continue;
        const std::string_view body = jinja.substr(text, end - text);
        // A system turn written from a variable (the conversation's own system message) is no default.
        if (body.find_first_of("{}'\"+") != std::string_view::npos) continue;
        return std::string(body);
    }
    return {};
}

}  // namespace

std::vector<std::string> ChatTemplate::names() { return {"gemma", "chatml", "smollm", "llama3"}; }

ChatTemplate ChatTemplate::named(std::string_view name) {
    if (name == "gemma") return ChatTemplate("gemma", Kind::gemma);
    if (name == "chatml") return ChatTemplate("chatml", Kind::chatml);
    if (name == "smollm")
        return ChatTemplate("smollm", Kind::chatml, "You are a helpful AI assistant named SmolLM, trained by Hugging Face");
    if (name == "llama3") return ChatTemplate("llama3", Kind::llama3);
    std::string known;
    for (const auto& n : names()) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown chat template '" + std::string(name) + "' (known: " + known + ")");
}

ChatTemplate ChatTemplate::recognise(std::string_view jinja) {
    if (jinja.find("<start_of_turn>") != std::string_view::npos) return named("gemma");
    if (jinja.find("<|start_header_id|>") != std::string_view::npos) {
        // Llama 3.1 and later templates add tool and date preambles this renderer does not write.
        if (jinja.find("Cutting Knowledge Date") == std::string_view::npos && jinja.find("tools") == std::string_view::npos)
            return named("llama3");
    } else if (jinja.find("<|im_start|>") != std::string_view::npos) {
        std::string system = chatml_default_system(jinja);
        if (system.empty()) return named("chatml");
        ChatTemplate smollm = named("smollm");
        if (system == smollm.default_system_) return smollm;
        return ChatTemplate("chatml", Kind::chatml, std::move(system));
    }
    throw Error("the model's chat template (tokenizer.chat_template) is none of the known ones; name a built-in one with "
                "--chat-template (gemma, chatml, smollm, llama3)");
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages) const {
    if (messages.empty()) throw Error("the conversation has no messages");
    for (size_t i = 0; i < messages.size(); ++i) {
        const std::string& role = messages[i].role;
        if (role != "system" && role != "user" && role != "assistant")
            throw Error(message_name(i) + ": unknown role '" + role + "' (expected system, user or assistant)");
        if (role == "system" && i > 0) throw Error(message_name(i) + ": a system message may only come first");
    }
    switch (kind_) {
        case Kind::gemma: return render_gemma(messages);
        case Kind::chatml: return render_chatml(messages);
        case Kind::llama3: return render_llama3(messages);
    }
    return {};
}

// Gemma has no system role: the system text opens the first user turn. Turns must alternate
// user/assistant starting with the user, and the assistant is called "model".
std::string ChatTemplate::render_gemma(const std::vector<ChatMessage>& messages) const {
    std::string out = "<bos>";
    size_t first = 0;
    std::string prefix;
    if (messages.front().role == "system") {
        prefix = trimmed(messages.front().content) + "\n\n";
        first = 1;
    }
    for (size_t i = first; i < messages.size(); ++i) {
        const bool user_turn = (i - first) % 2 == 0;
        if (messages[i].role != (user_turn ? "user" : "assistant"))
            throw Error(message_name(i) + ": the gemma template needs roles alternating user/assistant/user/... , got '" +
                        messages[i].role + "'");
        out += "<start_of_turn>";
        out += user_turn ? "user" : "model";
        out += "\n";
        if (i == first) out += prefix;
        out += trimmed(messages[i].content);
        out += "<end_of_turn>\n";
    }
    if (first == messages.size()) throw Error("the gemma template needs a user message after the system message");
    return out + "<start_of_turn>model\n";
}

std::string ChatTemplate::render_chatml(const std::vector<ChatMessage>& messages) const {
    std::string out;
    if (!default_system_.empty() && messages.front().role != "system")
        out += "<|im_start|>system\n" + default_system_ + "<|im_end|>\n";
    for (const auto& m : messages) {
        out += "<|im_start|>";
        out += m.role;
        out += "\n";
        out += m.content;
        out += "<|im_end|>\n";
    }
    return out + "<|im_start|>assistant\n";
}

std::string ChatTemplate::render_llama3(const std::vector<ChatMessage>& messages) const {
    std::string out = "<|begin_of_text|>";
    for (const auto& m : messages) {
        out += "<|start_header_id|>";
        out += m.role;
        out += "<|end_header_id|>\n\n";
        out += trimmed(m.content);
        out += "<|eot_id|>";
    }
    return out + "<|start_header_id|>assistant<|end_header_id|>\n\n";
}

}  // namespace flopwise::serve
