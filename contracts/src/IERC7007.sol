// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

/// @title ERC-165, ERC-721 and ERC-7007 interfaces, written out (no library dependency)
/// @notice Interface ids, as solc computes them (checked by the Rust tests through
///         `harness/PackHarness.sol`): IERC165 0x01ffc9a7, IERC721 0x80ac58cd,
///         IERC721Metadata 0x5b5e139f, IERC7007 0x2a8ab591 (= mint ^ verify of the functions
///         below), IERC7007Updatable 0x89845528 (= update(bytes,bytes,string)); an interface id
///         covers only the functions an interface declares itself, not inherited ones.
///         The EIP states 0x7e52e423 for IERC7007: that is mint(bytes,bytes,string,bytes) ^
///         verify(bytes,bytes,bytes), the `mint` of an earlier draft without `address to`. The
///         AIGC contract answers true for both ids (docs/oracle.md §5).

/// @notice ERC-165: standard interface detection.
interface IERC165 {
    function supportsInterface(bytes4 interfaceId) external view returns (bool);
}

/// @notice ERC-721: non-fungible tokens.
interface IERC721 is IERC165 {
    event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
    event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId);
    event ApprovalForAll(address indexed owner, address indexed operator, bool approved);

    function balanceOf(address owner) external view returns (uint256 balance);
    function ownerOf(uint256 tokenId) external view returns (address owner);
    function safeTransferFrom(address from, address to, uint256 tokenId, bytes calldata data) external;
    function safeTransferFrom(address from, address to, uint256 tokenId) external;
    function transferFrom(address from, address to, uint256 tokenId) external;
    function approve(address to, uint256 tokenId) external;
    function setApprovalForAll(address operator, bool approved) external;
    function getApproved(uint256 tokenId) external view returns (address operator);
    function isApprovedForAll(address owner, address operator) external view returns (bool);
}

/// @notice ERC-721 metadata extension.
interface IERC721Metadata is IERC721 {
    function name() external view returns (string memory);
    function symbol() external view returns (string memory);
    function tokenURI(uint256 tokenId) external view returns (string memory);
}

/// @notice What a contract must answer to receive a token through `safeTransferFrom`.
interface IERC721Receiver {
    function onERC721Received(address operator, address from, uint256 tokenId, bytes calldata data)
        external
        returns (bytes4);
}

/// @notice ERC-7007: verifiable AI-generated content tokens (interface id 0x2a8ab591; the EIP
///         publishes 0x7e52e423, see above).
interface IERC7007 is IERC165, IERC721 {
    /// @notice Emitted when `tokenId` is minted.
    event Mint(address indexed to, uint256 indexed tokenId, bytes indexed prompt, bytes aigcData, string uri, bytes proof);

    /// @notice Mints the token of `prompt` (id keccak256(prompt)) to `to` with `aigcData`.
    function mint(address to, bytes calldata prompt, bytes calldata aigcData, string calldata uri, bytes calldata proof)
        external
        returns (uint256 tokenId);

    /// @notice Whether `aigcData` is the verified output of the model on `prompt`.
    function verify(bytes calldata prompt, bytes calldata aigcData, bytes calldata proof)
        external
        view
        returns (bool success);
}

/// @notice ERC-7007 updatable extension (for opML, where aigcData may change after a dispute).
interface IERC7007Updatable is IERC7007 {
    /// @notice Update the `aigcData` of `prompt`.
    function update(bytes calldata prompt, bytes calldata aigcData, string calldata uri) external;

    /// @notice Emitted when `tokenId` is updated.
    event Update(uint256 indexed tokenId, bytes indexed prompt, bytes indexed aigcData, string uri);
}
