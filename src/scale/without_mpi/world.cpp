// The World of a build without MPI: asking for it is an error that says how to get it.
#include "flopwise/scale/world.hpp"

#include <cstdlib>

#include "flopwise/error.hpp"

namespace flopwise::scale {

struct World::Impl {};

bool World::built_with_mpi() { return false; }

World::World() {
    throw Error("this flopwise was built without MPI: install an MPI library (Debian: openmpi-bin libopenmpi-dev) and configure the build again");
}

World::~World() = default;

int World::rank() const { return 0; }
int World::size() const { return 1; }
int World::ranks_on_this_node() const { return 1; }
const std::string& World::host() const {
    static const std::string none;
    return none;
}
void World::post(int, int, std::string) {}
void World::flush() {}
Message World::receive(std::optional<int>) { throw Error("no MPI in this build"); }
std::optional<Message> World::try_receive() { return std::nullopt; }
void World::abort(int status) { std::exit(status); }

}  // namespace flopwise::scale
