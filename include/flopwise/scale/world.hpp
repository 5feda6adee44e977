#pragma once
#include <memory>
#include <optional>
#include <string>

namespace flopwise::scale {

// One message between ranks: who sent it, its tag, its bytes.
struct Message {
    int source = 0;
    int tag = 0;
    std::string text;
};

// This process's place in an MPI job (mpirun, srun), behind a small point-to-point interface.
// Only point-to-point messages are used once the job is running: a rank that dies is noticed by
// the launcher, which ends the job, where a collective call could wait for it forever.
class World {
public:
    // False when flopwise was built without MPI; joining then throws Error saying so.
    static bool built_with_mpi();

    // Initialises MPI (only the calling thread talks to it) and learns the job's shape.
    World();
    ~World();  // waits for posted messages to be delivered, then finalizes MPI
    World(const World&) = delete;
    World& operator=(const World&) = delete;

    int rank() const;
    int size() const;
    int ranks_on_this_node() const;
    const std::string& host() const;

    // Sends without waiting for the receiver; the text is kept until it is delivered.
    void post(int destination, int tag, std::string text);
    // Waits until every posted message has been delivered.
    void flush();
    // The next message from any rank (or from `source`), waiting for it / only if one is there.
    Message receive(std::optional<int> source = std::nullopt);
    std::optional<Message> try_receive();
    // Ends the whole job with this exit status (the launcher stops every rank).
    [[noreturn]] void abort(int status);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flopwise::scale
