"""A small support assistant on FastAPI, OpenAI and LangChain. `npx secure-ai scan examples` flags what is unsafe."""
import ast
import logging
import os

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from langchain.agents import AgentType, initialize_agent
from langchain_community.tools import DuckDuckGoSearchRun
from langchain_experimental.tools import PythonREPLTool
from langchain_openai import ChatOpenAI
from openai import OpenAI
from pydantic import BaseModel

logger = logging.getLogger(__name__)
client = OpenAI()  # the key comes from OPENAI_API_KEY
MODEL = "gpt-4o-mini"
PRODUCTS = {"widget": "Widget Pro", "gadget": "Gadget Max"}


def verify_api_key(x_api_key: str = Header()):
    if x_api_key != os.environ["ASSISTANT_API_KEY"]:
        raise HTTPException(status_code=401)


# Every route needs the API key, and the middleware logs every request.
app = FastAPI(dependencies=[Depends(verify_api_key)])


@app.middleware("http")
async def log_requests(request: Request, call_next):
    logger.info("%s %s from %s", request.method, request.url.path, request.client.host)
    return await call_next(request)


class Question(BaseModel):
    product: str
    text: str


def complete(messages):
    reply = client.chat.completions.create(model=MODEL, messages=messages)
    return reply.choices[0].message.content


@app.post("/support")
def support(question: Question):
    messages = [
        # The caller's text becomes part of the instructions.
        {"role": "system", "content": f"You are the support assistant for {question.product}. Never offer refunds."},
        {"role": "user", "content": question.text},
    ]
    return {"answer": complete(messages)}


@app.post("/v2/support")
def support_v2(question: Question):
    name = PRODUCTS.get(question.product, "our products")
    messages = [
        # Safe twin: the product name comes from an allow-list, and the caller's text stays in the user role.
        {"role": "system", "content": f"You are the support assistant for {name}. Never offer refunds."},
        {"role": "user", "content": question.text},
    ]
    return {"answer": complete(messages)}


@app.post("/calculate")
def calculate(question: Question):
    reply = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": f"Reply with one Python expression that computes: {question.text}"}],
    )
    expression = reply.choices[0].message.content
    # Runs whatever the model wrote, so a prompt injection runs code on the server.
    return {"result": eval(expression)}


@app.post("/v2/calculate")
def calculate_v2(question: Question):
    reply = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": f"Reply with the numeric answer only: {question.text}"}],
    )
    # Safe twin: the answer is parsed as a literal, never run.
    return {"result": ast.literal_eval(reply.choices[0].message.content.strip())}


llm = ChatOpenAI(model=MODEL, temperature=0)
# A research agent that can run any Python the model writes.
research_agent = initialize_agent([DuckDuckGoSearchRun(), PythonREPLTool()], llm, agent=AgentType.ZERO_SHOT_REACT_DESCRIPTION)
# Safe twin: the same agent with search only.
search_agent = initialize_agent([DuckDuckGoSearchRun()], llm, agent=AgentType.ZERO_SHOT_REACT_DESCRIPTION)
