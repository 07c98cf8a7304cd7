fn main() -> std::process::ExitCode {
    moveforce::cli::main()
}
