#include "flopwise/conversation.hpp"

namespace flopwise {

std::string to_string(ChatTurn::Role role) { return role == ChatTurn::Role::user ? "user" : "assistant"; }

std::string Conversation::flattened() const {
    std::string out = description;
    for (const ChatTurn& turn : turns) {
        if (turn.role == ChatTurn::Role::user) out += turn.content;
        else out += target_delimiter + turn.content + fewshot_delimiter;
    }
    return out;
}

std::string Conversation::system_message(const std::string& system_prompt) const {
    if (system_prompt.empty()) return description;
    if (description.empty()) return system_prompt;
    return system_prompt + fewshot_delimiter + description;
}

}  // namespace flopwise
