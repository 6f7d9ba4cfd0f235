// Which transport the page talks through. The local server sends this file as it is;
// `micrograd playground --export` writes its own copy naming the in-browser transport.
export const SITE = { transport: "http" };
