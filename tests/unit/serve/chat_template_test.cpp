// Chat templates are implemented in C++: each must render exactly what its Jinja original renders,
// and a GGUF template must be recognised (or refused) by its markers.
#include <gtest/gtest.h>

#include "flopwise/error.hpp"
#include "flopwise/gguf.hpp"
#include "flopwise/serve/chat_template.hpp"
#include "test_env.hpp"

namespace flopwise::serve {
namespace {

const std::vector<ChatMessage> kConversation = {
    {"system", "Be brief."}, {"user", " Hi there "}, {"assistant", "Hello."}, {"user", "What is 2+2?"}};

TEST(ChatTemplate, GemmaFoldsTheSystemTextIntoTheFirstUserTurnAndTrims) {
    EXPECT_EQ(ChatTemplate::named("gemma").render(kConversation),
              "<bos><start_of_turn>user\nBe brief.\n\nHi there<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n"
              "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n");
    EXPECT_THROW(ChatTemplate::named("gemma").render({{"user", "a"}, {"user", "b"}}), Error);
    EXPECT_THROW(ChatTemplate::named("gemma").render({{"system", "only a system message"}}), Error);
}

TEST(ChatTemplate, ChatMlAndLlama3) {
    EXPECT_EQ(ChatTemplate::named("chatml").render({{"user", "Hi"}}), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    EXPECT_EQ(ChatTemplate::named("llama3").render({{"system", "S"}, {"user", "Hi "}}),
              "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>"
              "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
    EXPECT_THROW(ChatTemplate::named("chatml").render({{"user", "a"}, {"system", "late"}}), Error);
    EXPECT_THROW(ChatTemplate::named("chatml").render({{"tool", "a"}}), Error);
}

TEST(ChatTemplate, RecognisesSmolLm2sTemplateFromItsGgufAndAddsItsDefaultSystemTurn) {
    const auto file = gguf::File::open(test::model_path("smollm2-135m"));
    const ChatTemplate chat = ChatTemplate::recognise(file->get_string("tokenizer.chat_template"));
    EXPECT_EQ(chat.name(), "smollm");
    EXPECT_EQ(chat.render({{"user", "Hi"}}),
              "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
              "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    EXPECT_EQ(chat.render({{"system", "S"}, {"user", "Hi"}}),
              "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, RecognisesOtherTemplatesByMarkersAndRefusesUnknownOnes) {
    EXPECT_EQ(ChatTemplate::recognise("{{ bos_token }}{% for m in messages %}<start_of_turn>{{ m.role }}{% endfor %}").name(), "gemma");
    EXPECT_EQ(ChatTemplate::recognise("{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>{% endfor %}").name(),
              "llama3");
    EXPECT_EQ(ChatTemplate::recognise("{% for m in messages %}{{'<|im_start|>' + m['role'] + '\\n'}}{% endfor %}").name(), "chatml");
    EXPECT_THROW(ChatTemplate::recognise("{% for m in messages %}[INST] {{ m.content }} [/INST]{% endfor %}"), Error);
    EXPECT_THROW(ChatTemplate::recognise("<|start_header_id|>Cutting Knowledge Date: December 2023"), Error);
    EXPECT_THROW(ChatTemplate::named("jinja"), Error);
}

}  // namespace
}  // namespace flopwise::serve
