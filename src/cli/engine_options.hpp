#pragma once
#include "args.hpp"
#include "flopwise/engine.hpp"

namespace flopwise::cli {

// --threads T --batch-tokens N --ctx N, shared by every command that runs the engine.
Engine::Options engine_options(Args& args);

}  // namespace flopwise::cli
