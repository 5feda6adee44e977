#include "flopwise/scale/world.hpp"

#include <climits>
#include <cstdlib>
#include <list>

#include <mpi.h>

#include "flopwise/error.hpp"

namespace flopwise::scale {

namespace {

void check(int code, const char* call) {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    throw Error(std::string("MPI: ") + call + ": " + std::string(text, static_cast<size_t>(length)));
}

}  // namespace

struct World::Impl {
    int rank = 0;
    int size = 1;
    int local = 1;
    std::string host;
    struct Posted {
        std::string text;
        MPI_Request request = MPI_REQUEST_NULL;
    };
    std::list<Posted> posted;  // a list: the texts must not move while MPI reads them

    // Drops the messages already delivered.
    void reap() {
        for (auto it = posted.begin(); it != posted.end();) {
            int done = 0;
            check(MPI_Test(&it->request, &done, MPI_STATUS_IGNORE), "MPI_Test");
            it = done ? posted.erase(it) : std::next(it);
        }
    }

    Message take(MPI_Message& handle, const MPI_Status& status) {
        int count = 0;
        check(MPI_Get_count(&status, MPI_CHAR, &count), "MPI_Get_count");
        Message m;
        m.source = status.MPI_SOURCE;
        m.tag = status.MPI_TAG;
        m.text.resize(static_cast<size_t>(count));
        check(MPI_Mrecv(m.text.data(), count, MPI_CHAR, &handle, MPI_STATUS_IGNORE), "MPI_Mrecv");
        return m;
    }
};

bool World::built_with_mpi() { return true; }

World::World() : impl_(std::make_unique<Impl>()) {
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    // Errors come back as codes (and become exceptions) instead of aborting without a word.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    check(MPI_Comm_rank(MPI_COMM_WORLD, &impl_->rank), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &impl_->size), "MPI_Comm_size");
    // The one collective call, while every rank is starting: how many ranks share this node.
    MPI_Comm node;
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, impl_->rank, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
    check(MPI_Comm_size(node, &impl_->local), "MPI_Comm_size");
    MPI_Comm_free(&node);
    char name[MPI_MAX_PROCESSOR_NAME];
    int length = 0;
    check(MPI_Get_processor_name(name, &length), "MPI_Get_processor_name");
    impl_->host.assign(name, static_cast<size_t>(length));
}

World::~World() {
    try {
        flush();
    } catch (const Error&) {
        abort(2);
    }
    MPI_Finalize();
}

int World::rank() const { return impl_->rank; }
int World::size() const { return impl_->size; }
int World::ranks_on_this_node() const { return impl_->local; }
const std::string& World::host() const { return impl_->host; }

void World::post(int destination, int tag, std::string text) {
    if (text.size() > static_cast<size_t>(INT_MAX))
        throw Error("a message of " + std::to_string(text.size()) + " bytes for rank " + std::to_string(destination) + " is over MPI's 2 GiB limit");
    impl_->reap();
    Impl::Posted& p = impl_->posted.emplace_back();
    p.text = std::move(text);
    check(MPI_Isend(p.text.data(), static_cast<int>(p.text.size()), MPI_CHAR, destination, tag, MPI_COMM_WORLD, &p.request), "MPI_Isend");
}

void World::flush() {
    for (auto& p : impl_->posted) check(MPI_Wait(&p.request, MPI_STATUS_IGNORE), "MPI_Wait");
    impl_->posted.clear();
}

Message World::receive(std::optional<int> source) {
    impl_->reap();
    MPI_Message handle;
    MPI_Status status;
    check(MPI_Mprobe(source.value_or(MPI_ANY_SOURCE), MPI_ANY_TAG, MPI_COMM_WORLD, &handle, &status), "MPI_Mprobe");
    return impl_->take(handle, status);
}

std::optional<Message> World::try_receive() {
    impl_->reap();
    MPI_Message handle;
    MPI_Status status;
    int found = 0;
    check(MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &found, &handle, &status), "MPI_Improbe");
    if (!found) return std::nullopt;
    return impl_->take(handle, status);
}

void World::abort(int status) {
    MPI_Abort(MPI_COMM_WORLD, status);
    std::_Exit(status);
}

}  // namespace flopwise::scale
