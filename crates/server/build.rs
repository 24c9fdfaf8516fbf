//! Generates the gRPC policy service (`ocis.services.policies.v0`) and its messages from
//! `proto/`, parsed by protox (pure Rust), so building needs no `protoc`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = [
        "proto/ocis/messages/policies/v0/policies.proto",
        "proto/ocis/services/policies/v0/policies.proto",
    ];
    for proto in protos {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(protos, ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .build_transport(false)
        .compile_fds(descriptors)?;
    Ok(())
}
