#pragma once
#include <string>
#include <vector>

namespace flopwise {

struct ChatTurn {
    enum class Role { user, assistant };
    Role role = Role::user;
    std::string content;
};
std::string to_string(ChatTurn::Role role);

// A task's prompt in the shape of a conversation, for chat APIs (lm-evaluation-harness's
// fewshot_as_multiturn): the task's description as the system message, each few-shot example's
// question (doc_to_text) as a user turn and its answer (doc_to_target, without target_delimiter)
// as an assistant turn, the evaluated document's question as the final user turn. An example
// without an answer has no turns of its own: its question runs into the next user turn, as in
// the flat prompt (chat APIs refuse empty messages).
struct Conversation {
    std::string description;
    std::vector<ChatTurn> turns;  // user, assistant, ..., user
    std::string target_delimiter;
    std::string fewshot_delimiter;

    // The flat prompt that says the same: description, each question followed by target_delimiter,
    // answer and fewshot_delimiter, then the last question.
    std::string flattened() const;
    // The system message for a system prompt given by the user: lm-evaluation-harness's
    // system_instruction + fewshot_delimiter + description, or whichever of the two is not empty.
    std::string system_message(const std::string& system_prompt) const;
};

}  // namespace flopwise
